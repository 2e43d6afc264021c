package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/flows"
)

// flowsEnv is an environment for `voronka flows`: a config file whose
// flows key is flowsDir ("" for none: the defaults), and PATH as the
// process has it unless overridden.
func flowsEnv(t *testing.T, flowsDir string, extra ...string) func(string) string {
	t.Helper()
	env := map[string]string{"PATH": os.Getenv("PATH")}
	if flowsDir != "" {
		cfg := filepath.Join(t.TempDir(), "voronka.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("flows: "+flowsDir+"\n"), 0o600))
		env["VORONKA_CONFIG"] = cfg
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) string { return env[k] }
}

// runFlows runs `voronka flows args...` as main would.
func runFlows(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"flows"}, args...), getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

const lintDir = "../../../flows/testdata/lint"

// TestLintReportsEveryPlantedProblemWithItsLine lints a directory of broken
// flows at once: every planted problem is reported at its line, nothing
// else is, and the good files are not mentioned.
func TestLintReportsEveryPlantedProblemWithItsLine(t *testing.T) {
	t.Parallel()
	want := []struct {
		file string
		line int
		step string
		msg  string
	}{
		{"loops.yaml", 17, "email", "steps loop (email → again → email): a step can be answered only once"},
		{"loops.yaml", 27, "more", "a cycle with no way out (more → more)"},
		{"shared_b.yaml", 4, "", `duplicate flow id "shared": ` + filepath.Join(lintDir, "shared_a.yaml") + " has it too"},
		{"shared_c.yml", 3, "", `duplicate flow id "shared": ` + filepath.Join(lintDir, "shared_a.yaml") + " has it too"},
		{"shared_c.yml", 17, "done", "say uses {expect}, so the flow needs expect for hot, warm and cold"},
		{"typos.yaml", 15, "need", `option "look" has no "en" text`},
		{"typos.yaml", 17, "need", `score_when "score >>= 10": unexpected token`},
		{"typos.yaml", 21, "email", `ask has no "en" text`},
		{"typos.yaml", 22, "email", `unknown key "nxet" in a step (did you mean "next"?)`},
		{"typos.yaml", 23, "email", `unknown next step "emial" (did you mean "email"?)`},
		{"typos.yaml", 24, "email", "duplicate step id (first at line 19)"},
		{"wiring.yaml", 6, "", "the hot threshold 40 is unreachable: the best path through the flow scores 30"},
		{"wiring.yaml", 25, "orphan", `unreachable: no path from start "need" leads here`},
	}
	stdout, stderr, err := runFlows(t, flowsEnv(t, ""), "lint", lintDir)
	require.Error(t, err)
	assert.True(t, errors.Is(err, errLintProblems), "err: %v", err)
	assert.Empty(t, stderr)

	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, len(want)+1, "one line per problem and a summary:\n%s", stdout)
	for i, w := range want {
		prefix := fmt.Sprintf("%s:%d: ", filepath.Join(lintDir, w.file), w.line)
		if w.step != "" {
			prefix += "step " + w.step + ": "
		}
		assert.True(t, strings.HasPrefix(lines[i], prefix+w.msg), "line %d:\n got: %s\nwant: %s%s…", i+1, lines[i], prefix, w.msg)
	}
	assert.Equal(t, "7 files checked, 13 problems in 5 files", lines[len(lines)-1])
	assert.NotContains(t, stdout, "good.yaml")
	assert.NotContains(t, stdout, "README.txt", "only *.yaml and *.yml are flows")
	assert.Contains(t, err.Error(), "13 problems")
}

// TestLintDuplicateIDsAreAcrossTheFilesLintedTogether: a file that is fine
// on its own is fine when linted alone.
func TestLintDuplicateIDsAreAcrossTheFilesLintedTogether(t *testing.T) {
	t.Parallel()
	env := flowsEnv(t, "")
	stdout, _, err := runFlows(t, env, "lint", filepath.Join(lintDir, "shared_b.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "ok: 1 flow\n", stdout)

	a, b := filepath.Join(lintDir, "shared_a.yaml"), filepath.Join(lintDir, "shared_b.yaml")
	stdout, _, err = runFlows(t, env, "lint", b, a)
	require.Error(t, err)
	assert.Equal(t, a+`:2: duplicate flow id "shared": `+b+" has it too\n"+
		"2 files checked, 1 problem in 1 file\n", stdout, "the second file named is the duplicate")
}

var wantMarker = regexp.MustCompile(`# want: (?:step (\S+): )?(.*)$`)

// TestLintBrokenFlows runs lint on each file of flows/testdata/broken, whose
// planted error is marked on its line with `# want: [step <id>: ]<fragment>`.
func TestLintBrokenFlows(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../../flows/testdata/broken/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	env := flowsEnv(t, "")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			place, fragment := "", "" // "file:line: [step id: ]", and a part of the message
			for i, line := range strings.Split(string(data), "\n") {
				if m := wantMarker.FindStringSubmatch(line); m != nil {
					place = fmt.Sprintf("%s:%d: ", file, i+1)
					if m[1] != "" {
						place += "step " + m[1] + ": "
					}
					fragment = m[2]
				}
			}
			require.NotEmpty(t, fragment, "the file marks its planted error with # want:")
			stdout, _, err := runFlows(t, env, "lint", file)
			require.ErrorIs(t, err, errLintProblems)
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			require.Len(t, lines, 2, "one problem and the summary:\n%s", stdout)
			got, ok := strings.CutPrefix(lines[0], place)
			assert.True(t, ok, "\n got: %s\nwant: %s…", lines[0], place)
			assert.Contains(t, got, fragment)
			assert.Equal(t, "1 file checked, 1 problem in 1 file", lines[1])
		})
	}
}

func TestLintOfTheShippedFlowsIsOK(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, flowsDir string
		args           []string
		want           string
	}{
		{"configured directory", "../../../configs/flows", nil, "ok: 1 flow in ../../../configs/flows\n"},
		{"embedded", "embedded", nil, "ok: 1 flow in the embedded flows\n"},
		// Run from cmd/voronka, the default configs/flows is not there:
		// like serve, lint falls back to the embedded flows.
		{"default", "", nil, "ok: 1 flow in the embedded flows\n"},
		{"directory argument", "", []string{"../../../configs/flows"}, "ok: 1 flow\n"},
		{"file arguments", "", []string{"../../../configs/flows/qualify.yaml", "../../../flows/testdata/mini.yaml"}, "ok: 2 flows\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runFlows(t, flowsEnv(t, tc.flowsDir), append([]string{"lint"}, tc.args...)...)
			require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Equal(t, tc.want, stdout)
		})
	}
}

func TestLintOfMissingFilesAndEmptyDirectories(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	stdout, _, err := runFlows(t, flowsEnv(t, ""), "lint", "no-such.yaml", empty)
	require.ErrorIs(t, err, errLintProblems)
	assert.Equal(t, "no-such.yaml: cannot read: no such file or directory\n"+
		filepath.Join(empty)+": no flow files (*.yaml, *.yml) here\n"+
		"1 file checked, 2 problems in 2 files\n", stdout)

	// A configured directory that is broken fails lint with no arguments.
	stdout, _, err = runFlows(t, flowsEnv(t, "../../../flows/testdata/lint"), "lint")
	require.ErrorIs(t, err, errLintProblems)
	assert.Contains(t, stdout, "13 problems")
}

func TestFlowsCommandUsage(t *testing.T) {
	t.Parallel()
	env := flowsEnv(t, "")
	_, stderr, err := runFlows(t, env)
	require.Error(t, err)
	assert.Contains(t, stderr, "voronka flows lint [FILE|DIR...]")
	_, _, err = runFlows(t, env, "draw")
	require.ErrorContains(t, err, `unknown command "draw"`)
	stdout, _, err := runFlows(t, env, "help")
	require.NoError(t, err)
	assert.Contains(t, stdout, "voronka flows graph [--format dot|mermaid|png] [--out FILE]")
}

func loadQualify(t *testing.T) *flows.Flow {
	t.Helper()
	f, err := flows.Load("../../../configs/flows/qualify.yaml")
	require.NoError(t, err)
	return f
}

func TestGraphWritesDOTAndMermaid(t *testing.T) {
	t.Parallel()
	f := loadQualify(t)
	env := flowsEnv(t, "../../../configs/flows")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"by id, dot by default", []string{"qualify"}, flows.DOT(f, "ru")},
		{"by file", []string{"../../../configs/flows/qualify.yaml"}, flows.DOT(f, "ru")},
		{"mermaid in English, flags after FLOW", []string{"qualify", "--format", "mermaid", "--lang", "en"}, flows.Mermaid(f, "en")},
		{"dot in English", []string{"--lang=en", "--format=dot", "qualify"}, flows.DOT(f, "en")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runFlows(t, env, append([]string{"graph"}, tc.args...)...)
			require.NoError(t, err, stderr)
			assert.Equal(t, tc.want, stdout)
		})
	}

	t.Run("--out", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "qualify.mmd")
		stdout, stderr, err := runFlows(t, env, "graph", "--format", "mermaid", "--out", out, "qualify")
		require.NoError(t, err)
		assert.Empty(t, stdout)
		assert.Equal(t, "wrote "+out+"\n", stderr)
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, flows.Mermaid(f, "ru"), string(data))
	})
}

func TestGraphRefusesWhatItCannotDraw(t *testing.T) {
	t.Parallel()
	env := flowsEnv(t, "../../../configs/flows")
	for _, tc := range []struct {
		name       string
		args       []string
		err        string
		stderrHas  string
		stdoutNone bool
	}{
		{"unknown id", []string{"nope"}, `no flow "nope" in ../../../configs/flows (there: qualify)`, "", true},
		{"missing file", []string{"nope.yaml"}, "nope.yaml: no such file or directory", "", true},
		{"directory", []string{"../../../configs/flows"}, "../../../configs/flows is a directory: name one flow file, or a flow id", "", true},
		{"broken file", []string{"../../../flows/testdata/broken/unknown_next.yaml"}, "has 1 problem; fix it first",
			`unknown_next.yaml:19: step email: unknown next step "emial"`, true},
		{"unknown language", []string{"--lang", "de", "qualify"}, `--lang "de": flow qualify has ru, en`, "", true},
		{"unknown format", []string{"--format", "svg", "qualify"}, `--format must be dot, mermaid or png, not "svg"`, "", true},
		{"two flows", []string{"qualify", "other"}, "name one flow", "", true},
		{"no flow", nil, "name one flow", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runFlows(t, env, append([]string{"graph"}, tc.args...)...)
			require.ErrorContains(t, err, tc.err)
			assert.Contains(t, stderr, tc.stderrHas)
			assert.Empty(t, stdout)
		})
	}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func TestGraphPNG(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not on PATH (apt-get install graphviz): PNG rendering cannot be tested here")
	}
	env := flowsEnv(t, "../../../configs/flows")
	out := filepath.Join(t.TempDir(), "flow.png")
	_, stderr, err := runFlows(t, env, "graph", "--format", "png", "--out", out, "qualify")
	require.NoError(t, err, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Greater(t, len(data), 1000, "a real picture")
	assert.Equal(t, pngSignature, data[:8], "PNG signature")

	stdout, _, err := runFlows(t, env, "graph", "--format", "png", "--out", "-", "--lang", "en", "../../../configs/flows/qualify.yaml")
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix([]byte(stdout), pngSignature), "--out - writes the PNG to stdout")
}

// TestGraphPNGWithoutGraphviz: with no dot on PATH, png says so clearly,
// and the text formats still work.
func TestGraphPNGWithoutGraphviz(t *testing.T) {
	t.Parallel()
	env := flowsEnv(t, "../../../configs/flows", "PATH", t.TempDir())
	out := filepath.Join(t.TempDir(), "flow.png")
	_, _, err := runFlows(t, env, "graph", "--format", "png", "--out", out, "qualify")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs Graphviz's dot, which is not on PATH")
	assert.Contains(t, err.Error(), "use --format dot or mermaid")
	assert.NoFileExists(t, out)

	for _, format := range []string{"dot", "mermaid"} {
		stdout, _, err := runFlows(t, env, "graph", "--format", format, "qualify")
		require.NoError(t, err, format)
		assert.NotEmpty(t, stdout, format)
	}
}
