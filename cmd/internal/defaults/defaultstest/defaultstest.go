// Package defaultstest holds what tests of the embedded defaults share:
// an address where nothing listens and a data directory PostgreSQL's
// unprivileged user can reach.
package defaultstest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// DeadAddr is a local address where nothing listens.
func DeadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// ReachableTempDir is a temporary directory that the unprivileged user
// PostgreSQL runs as (when the tests run as root) can reach: the testing
// package makes its directories 0700.
func ReachableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	return dir
}
