package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// TestServeWritesACPUProfile: serve --cpuprofile (or VORONKA_CPUPROFILE)
// writes a pprof file when the process stops, however it stops; a path
// it cannot create is an error before anything starts.
func TestServeWritesACPUProfile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/serve.prof"
	var stderr bytes.Buffer
	// No TELEGRAM_TOKEN: serve stops at once with its error.
	err := run(t.Context(), []string{"serve"}, getenvOf(map[string]string{"VORONKA_CPUPROFILE": path}), strings.NewReader(""), &stderr, &stderr)
	require.ErrorContains(t, err, "TELEGRAM_TOKEN")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b, "a gzipped pprof profile")

	err = run(t.Context(), []string{"serve", "--cpuprofile", dir + "/no/such/dir/x.prof"}, getenvOf(nil), strings.NewReader(""), &stderr, &stderr)
	require.ErrorContains(t, err, "--cpuprofile")
}

// TestHelpListsTheCommands: "voronka --help" (and -h, help) prints the
// commands, not serve's flags, and succeeds; "serve -h" keeps serve's.
func TestHelpListsTheCommands(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help", "help"} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{arg}, getenvOf(nil), strings.NewReader(""), &stdout, &stderr)
		require.NoError(t, err, arg)
		for _, c := range []string{"serve", "migrate", "chat", "flows", "bench", "version"} {
			require.Contains(t, stdout.String(), "\n  "+c+" ", "%s lists %s", arg, c)
		}
		require.NotContains(t, stdout.String()+stderr.String(), "-cpuprofile string", arg)
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"serve", "-h"}, getenvOf(nil), strings.NewReader(""), &stdout, &stderr)
	require.Error(t, err)
	require.Contains(t, stderr.String(), "-migrate")
}
