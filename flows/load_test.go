package flows

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantMarker is how a broken flow in testdata/broken says what is wrong
// with it: on the offending line, `# want: [step <id>: ]<message fragment>`.
var wantMarker = regexp.MustCompile(`# want: (?:step (\S+): )?(.*)$`)

func TestBrokenFlows(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/broken/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var want Problem
			for i, line := range strings.Split(string(data), "\n") {
				if m := wantMarker.FindStringSubmatch(line); m != nil {
					want = Problem{File: file, Line: i + 1, Step: m[1], Msg: m[2]}
				}
			}
			require.NotEmpty(t, want.Msg, "the file must mark its planted error with # want:")

			f, err := Load(file)
			require.Error(t, err)
			assert.Nil(t, f)
			var ps Problems
			require.True(t, errors.As(err, &ps), "error %T is not Problems", err)
			require.Len(t, ps, 1, "one planted error, one problem; got:\n%v", err)
			got := ps[0]
			assert.Equal(t, want.File, got.File)
			assert.Equal(t, want.Line, got.Line, "line; problem: %s", got)
			assert.Equal(t, want.Step, got.Step, "step; problem: %s", got)
			assert.Contains(t, got.Msg, want.Msg)
		})
	}
}

func TestMiniFlowIsValid(t *testing.T) {
	t.Parallel()
	f, err := Load("testdata/mini.yaml")
	require.NoError(t, err)
	assert.Equal(t, "mini", f.ID)
	assert.Equal(t, "testdata/mini.yaml", f.File)
}

func TestDefaultFlowIsValid(t *testing.T) {
	t.Parallel()
	flows, err := LoadDir("../configs/flows")
	require.NoError(t, err)
	f := flows["qualify"]
	require.NotNil(t, f)
	assert.Equal(t, []string{"ru", "en"}, f.Languages)
	assert.Equal(t, 60, f.Thresholds.Hot)
	assert.Equal(t, 30, f.Thresholds.Warm)
	assert.Equal(t, filepath.Join("../configs/flows", "qualify.yaml"), f.File)
	for _, id := range []string{"need", "timeline", "role"} {
		s := f.Step(id)
		require.NotNil(t, s, id)
		assert.True(t, s.Segment, "%s is a segment", id)
		assert.Equal(t, KindChoice, s.Kind)
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	p := Problem{File: "configs/flows/qualify.yaml", Line: 12, Step: "budget", Msg: `unknown next step "emial"`}
	assert.Equal(t, `configs/flows/qualify.yaml:12: step budget: unknown next step "emial"`, p.String())
	assert.Equal(t, "x.yaml: no steps", Problem{File: "x.yaml", Msg: "no steps"}.String())
	ps := Problems{p, {File: "a.yaml", Line: 1, Msg: "m"}}
	assert.Equal(t, p.String()+"\na.yaml:1: m", ps.Error())
}

func TestParseCollectsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse("many.yaml", []byte(`
id: Many
version: 0
languages: [ru, english]
thresholds: {hot: 5, warm: 5}
steps:
  - id: a
    kind: choise
    ask: {ru: "?"}
    next: b
  - id: b
    kind: end
    say: {ru: "!"}
`))
	var ps Problems
	require.ErrorAs(t, err, &ps)
	msg := err.Error()
	for _, want := range []string{
		`many.yaml:2: flow id "Many"`,
		"many.yaml:3: version must be 1 or more",
		`many.yaml:4: language "english"`,
		"many.yaml:5: thresholds need hot > warm",
		`many.yaml:8: step a: unknown kind "choise" (did you mean "choice"?)`,
	} {
		assert.Contains(t, msg, want)
	}
	for i := 1; i < len(ps); i++ {
		assert.LessOrEqual(t, ps[i-1].Line, ps[i].Line, "problems are sorted by line")
	}
}

func TestLoadDirReportsAllFilesAndDuplicateIDs(t *testing.T) {
	t.Parallel()
	mini, err := os.ReadFile("testdata/mini.yaml")
	require.NoError(t, err)
	broken, err := os.ReadFile("testdata/broken/unknown_next.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), mini, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yml"), mini, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.yaml"), broken, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a flow"), 0o600))

	flows, err := LoadDir(dir)
	assert.Nil(t, flows)
	var ps Problems
	require.ErrorAs(t, err, &ps)
	require.Len(t, ps, 2, "%v", err)
	assert.Equal(t, filepath.Join(dir, "b.yml"), ps[0].File)
	assert.Contains(t, ps[0].Msg, `duplicate flow id "mini"`)
	assert.Equal(t, filepath.Join(dir, "c.yaml"), ps[1].File)
	assert.Contains(t, ps[1].Msg, `unknown next step "emial"`)
}

func TestLoadFS(t *testing.T) {
	t.Parallel()
	mini, err := os.ReadFile("testdata/mini.yaml")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"flows/mini.yaml":  {Data: mini},
		"flows/.swap.yaml": {Data: []byte("garbage: [")},
	}
	flows, err := LoadFS(fsys, "flows")
	require.NoError(t, err)
	require.Contains(t, flows, "mini")
	assert.Equal(t, "flows/mini.yaml", flows["mini"].File)

	_, err = LoadFS(fstest.MapFS{"flows/x.txt": {Data: []byte("x")}}, "flows")
	assert.ErrorContains(t, err, "no flow files")
	_, err = LoadFS(fsys, "missing")
	assert.Error(t, err)
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/nope.yaml")
	assert.ErrorIs(t, err, os.ErrNotExist)
}
