package flows

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantEdge is one arrow a diagram must draw.
type wantEdge struct{ from, to, label string }

// expectedEdges derives the arrows of f's diagram from the flow itself,
// rule by rule, as the doc of diagram.go promises them: every option of a
// choice step (to its own next, else the step's next, labelled "text
// (+score)"), every next_when rule ("if <condition>"), the next of a step
// without options ("next", or "otherwise" after rules), and Skip.
func expectedEdges(t *testing.T, f *Flow, lang string) []wantEdge {
	t.Helper()
	var out []wantEdge
	for _, s := range f.Steps {
		if s.Kind == KindEnd {
			continue
		}
		if s.Kind == KindChoice {
			for _, o := range s.Options {
				to := o.Next
				if to == "" {
					to = s.Next
				}
				text, ok := o.Text[lang]
				require.True(t, ok, "option %s.%s has a %s text", s.ID, o.ID, lang)
				label := text
				switch {
				case o.Score > 0:
					label = fmt.Sprintf("%s (+%d)", text, o.Score)
				case o.Score < 0:
					label = fmt.Sprintf("%s (%d)", text, o.Score)
				}
				out = append(out, wantEdge{s.ID, to, label})
			}
		}
		for _, c := range s.NextWhen {
			out = append(out, wantEdge{s.ID, c.Goto, "if " + c.If})
		}
		if s.Kind != KindChoice {
			label := "next"
			if len(s.NextWhen) > 0 {
				label = "otherwise"
			}
			out = append(out, wantEdge{s.ID, s.Next, label})
		}
		if s.Optional {
			label := "skip"
			if len(s.NextWhen) > 0 {
				label = "skip, otherwise"
			}
			out = append(out, wantEdge{s.ID, s.Next, label})
		}
	}
	return out
}

var (
	dotEdgeLine = regexp.MustCompile(`^\t"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"[^\]]*\];$`)
	dotNodeLine = regexp.MustCompile(`^\t"((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"(.*)\];$`)
	// Mermaid lines: a node, an edge with a quoted label, or style.
	mermaidNodeLine = regexp.MustCompile(`^    s_([a-z0-9_]+)(\[|\(\[)"([^"]*)"(\]|\]\))$`)
	mermaidEdgeLine = regexp.MustCompile(`^    s_([a-z0-9_]+) (-->|-\.->)\|"([^"]*)"\| s_([a-z0-9_]+)$`)
	// What a label may hold: no character that ends it or starts Mermaid
	// syntax, only entity codes and <br/> line breaks.
	mermaidSafe = regexp.MustCompile("^(?:[^\"\\[\\](){}|<>`;#&%\\\\\\n]|#quot;|#[0-9]+;|<br/>)*$")
)

func unquoteDOT(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n")
	return r.Replace(s)
}

var mermaidEntity = regexp.MustCompile(`#quot;|#([0-9]+);`)

func unescapeMermaid(s string) string {
	return mermaidEntity.ReplaceAllStringFunc(s, func(m string) string {
		if m == "#quot;" {
			return `"`
		}
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		return string(rune(n))
	})
}

// parseDOT returns the edges (but the start arrow) and node labels of a DOT
// diagram, failing on any line it does not understand.
func parseDOT(t *testing.T, dot string) (edges []wantEdge, nodes map[string]string, attrs map[string]string) {
	t.Helper()
	nodes, attrs = map[string]string{}, map[string]string{}
	lines := strings.Split(strings.TrimSuffix(dot, "\n"), "\n")
	require.True(t, strings.HasPrefix(lines[0], "digraph "), lines[0])
	require.Equal(t, "}", lines[len(lines)-1])
	for _, l := range lines[1 : len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "\tgraph ["), strings.HasPrefix(l, "\tnode ["), strings.HasPrefix(l, "\tedge ["),
			strings.HasPrefix(l, "\t\"_start\" "):
		case dotEdgeLine.MatchString(l):
			m := dotEdgeLine.FindStringSubmatch(l)
			edges = append(edges, wantEdge{unquoteDOT(m[1]), unquoteDOT(m[2]), unquoteDOT(m[3])})
		case dotNodeLine.MatchString(l):
			m := dotNodeLine.FindStringSubmatch(l)
			id := unquoteDOT(m[1])
			nodes[id], attrs[id] = unquoteDOT(m[2]), m[3]
		default:
			t.Fatalf("unexpected DOT line %q", l)
		}
	}
	return edges, nodes, attrs
}

// parseMermaid is parseDOT for Mermaid; it also checks that every label is
// free of characters that would break Mermaid. ends are the node ids in
// the "finish" class (end steps).
func parseMermaid(t *testing.T, mm string) (edges []wantEdge, nodes map[string]string, shapes map[string]string, ends []string) {
	t.Helper()
	nodes, shapes = map[string]string{}, map[string]string{}
	lines := strings.Split(strings.TrimSuffix(mm, "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	require.Equal(t, "---", lines[0])
	require.Regexp(t, `^title: "[^"\\]*"$`, lines[1])
	require.Equal(t, "---", lines[2])
	require.Equal(t, "flowchart TD", lines[3])
	for _, l := range lines[4:] {
		switch {
		case strings.HasPrefix(l, "    classDef "), l == `    flow_start(("start"))`, strings.HasPrefix(l, "    flow_start --> s_"):
		case strings.HasPrefix(l, "    class "):
			f := strings.Fields(l)
			require.Len(t, f, 3, l)
			if f[2] == "finish" {
				ends = strings.Split(f[1], ",")
			}
		case mermaidEdgeLine.MatchString(l):
			m := mermaidEdgeLine.FindStringSubmatch(l)
			require.Regexp(t, mermaidSafe, m[3], "edge label of %q", l)
			edges = append(edges, wantEdge{m[1], m[4], unescapeMermaid(m[3])})
		case mermaidNodeLine.MatchString(l):
			m := mermaidNodeLine.FindStringSubmatch(l)
			require.Regexp(t, mermaidSafe, m[3], "node label of %q", l)
			nodes[m[1]] = unescapeMermaid(strings.ReplaceAll(m[3], "<br/>", "\n"))
			shapes[m[1]] = m[2] + m[4]
		default:
			t.Fatalf("unexpected Mermaid line %q", l)
		}
	}
	return edges, nodes, shapes, ends
}

func TestDOTAndMermaidDrawEveryStepAndEdgeOfTheDefaultFlow(t *testing.T) {
	t.Parallel()
	f, err := Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	for _, lang := range f.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			want := expectedEdges(t, f, lang)
			require.Len(t, want, 25, "the default flow has 25 arrows besides the start one; count them again if it changed")

			// The arrows agree with the validator's own graph of the flow.
			for _, s := range f.Steps {
				var targets []string
				for _, e := range want {
					if e.from == s.ID && !slices.Contains(targets, e.to) {
						targets = append(targets, e.to)
					}
				}
				assert.ElementsMatch(t, successors(f, s), targets, "targets of %s", s.ID)
			}

			dot := DOT(f, lang)
			dotEdges, dotNodes, dotAttrs := parseDOT(t, dot)
			assert.Equal(t, want, dotEdges, "DOT draws every edge once, in file order")
			assert.Contains(t, dot, "\t\"_start\" -> \"need\";\n")

			mm := Mermaid(f, lang)
			mmEdges, mmNodes, mmShapes, mmEnds := parseMermaid(t, mm)
			assert.Equal(t, want, mmEdges, "Mermaid draws every edge once, in file order")
			assert.Contains(t, mm, "    flow_start --> s_need\n")

			require.Len(t, dotNodes, len(f.Steps))
			require.Len(t, mmNodes, len(f.Steps))
			var ends []string
			for _, s := range f.Steps {
				head := s.ID + " · " + s.Kind
				text := s.Ask[lang]
				if s.Kind == KindEnd {
					text = s.Say[lang]
					ends = append(ends, "s_"+s.ID)
				}
				for format, label := range map[string]string{"DOT": dotNodes[s.ID], "Mermaid": mmNodes[s.ID]} {
					lines := strings.Split(label, "\n")
					require.GreaterOrEqual(t, len(lines), 2, "%s node %s: %q", format, s.ID, label)
					assert.True(t, strings.HasPrefix(lines[0], head), "%s node %s starts with %q: %q", format, s.ID, head, lines[0])
					assert.Equal(t, s.Segment, strings.Contains(lines[0], "segment"), "%s node %s: segment mark", format, s.ID)
					assert.Equal(t, s.Optional, strings.Contains(lines[0], "optional"), "%s node %s: optional mark", format, s.ID)
					// The question (or goodbye), its first words at least.
					first := []rune(strings.Fields(text)[0])
					assert.True(t, strings.HasPrefix(lines[1], string(first)), "%s node %s shows its text: %q", format, s.ID, lines[1])
					assert.LessOrEqual(t, len([]rune(lines[1])), 40, "%s node %s: the text is shortened", format, s.ID)
					for _, c := range s.ScoreWhen {
						assert.Contains(t, lines, fmt.Sprintf("+%d if %s", c.Score, c.If), "%s node %s notes score_when", format, s.ID)
					}
				}
				if s.Kind == KindEnd {
					assert.Contains(t, dotAttrs[s.ID], `fillcolor="#d9f2d9"`, "end step %s is filled", s.ID)
					assert.Equal(t, "([])", mmShapes[s.ID], "end step %s is a stadium", s.ID)
				} else {
					assert.NotContains(t, dotAttrs[s.ID], "fillcolor", "question %s is not filled", s.ID)
					assert.Equal(t, "[]", mmShapes[s.ID], "question %s is a box", s.ID)
				}
			}
			assert.Equal(t, ends, mmEnds, "end steps are in the finish class")
		})
	}
}

func TestDOTAndMermaidAreDeterministic(t *testing.T) {
	t.Parallel()
	a, err := Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	b, err := Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		require.Equal(t, DOT(a, "en"), DOT(b, "en"))
		require.Equal(t, Mermaid(a, "ru"), Mermaid(b, "ru"))
	}
	// An unknown language falls back to the first, as the bot does.
	assert.Equal(t, DOT(a, "ru"), DOT(a, "de"))
	assert.Equal(t, DOT(a, "ru"), DOT(a, ""))
}

// hostileFlow has every character that could break a diagram in its texts
// and conditions, and step ids that are Mermaid words.
const hostileFlow = `
id: hostile
version: 3
languages: [en]
thresholds: {hot: 10, warm: 5}
steps:
  - id: end
    kind: choice
    ask: {en: "\"q\" [a] (b) {c} |d| <i>e</i> & #1; \\ ` + "`x`" + `"}
    options:
      - {id: a, text: {en: "a\"]-->x[(\"b"}, score: 10, next: o}
      - {id: b, text: {en: "%% not a comment; |pipe|"}, score: -3, next: x}
  - id: o
    kind: multi
    ask: {en: "Line one\nline two"}
    options:
      - {id: p, text: {en: "[p]"}, score: 2}
      - {id: q, text: {en: "{q}"}}
    score_when: [{if: '"p" in value && end == "a"', score: 1}]
    next_when: [{if: 'score > 3 || end not in ["b"]', goto: graph}]
    next: x
  - id: x
    kind: text
    optional: true
    ask: {en: "x"}
    next: graph
  - id: graph
    kind: end
    say: {en: "<script>alert(\"end\")</script>"}
`

func TestMermaidEscapesEverythingThatBreaksIt(t *testing.T) {
	t.Parallel()
	f, err := Parse("hostile.yaml", []byte(hostileFlow))
	require.NoError(t, err)
	want := expectedEdges(t, f, "en")
	mm := Mermaid(f, "en")
	edges, nodes, _, ends := parseMermaid(t, mm) // fails on any unsafe label
	assert.Equal(t, want, edges)
	assert.Equal(t, []string{"s_graph"}, ends)
	assert.Equal(t, "end · choice\n\"q\" [a] (b) {c} |d| <i>e</i> & #1; \\ `x`", nodes["end"])
	assert.Contains(t, nodes["o"], "+1 if \"p\" in value && end == \"a\"")
	assert.Contains(t, nodes["o"], "• [p] (+2)")
	assert.NotContains(t, mm, "<i>", "HTML in texts is not passed on")
	assert.NotContains(t, mm, "<script>")
	assert.NotContains(t, mm, "%%", "no text can start a Mermaid comment")
	for _, l := range strings.Split(mm, "\n") {
		assert.False(t, strings.HasPrefix(strings.TrimSpace(l), "end"), "no line starts with the Mermaid keyword end: %q", l)
	}
}

func TestDOTEscapesQuotesAndBackslashes(t *testing.T) {
	t.Parallel()
	f, err := Parse("hostile.yaml", []byte(hostileFlow))
	require.NoError(t, err)
	dot := DOT(f, "en")
	edges, nodes, _ := parseDOT(t, dot) // fails on any line whose quoting is off
	assert.Equal(t, expectedEdges(t, f, "en"), edges)
	assert.Equal(t, "end · choice\n\"q\" [a] (b) {c} |d| <i>e</i> & #1; \\ `x`", nodes["end"])
	assert.Equal(t, "o · multi\nLine one\n• [p] (+2)\n• {q}\n+1 if \"p\" in value && end == \"a\"", nodes["o"])
	assert.Equal(t, "graph · end\n<script>alert(\"end\")</script>", nodes["graph"])
	assert.Contains(t, dot, `label="a\"]-->x[(\"b (+10)"`)
	assert.Contains(t, dot, `label="%% not a comment; |pipe| (-3)"`)

	// Graphviz itself must read both diagrams, where it is installed.
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not on PATH (apt-get install graphviz): the DOT text is checked, its rendering is not")
	}
	qualify, err := Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	for _, src := range []string{dot, DOT(qualify, "ru")} {
		cmd := exec.Command(dotBin, "-Tsvg")
		cmd.Stdin = strings.NewReader(src)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "dot: %s", out)
		assert.Contains(t, string(out), "<svg")
	}
}

func TestDOTNodeLabelsShortenQuestions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Short?", "Short?"},
		{"  Two\nlines  ", "Two"},
		{"Spaces   inside\tare one", "Spaces inside are one"},
		{"What budget do you have in mind, in Russian roubles (RUB)?", "What budget do you have in mind, in…"},
		{strings.Repeat("я", 50), strings.Repeat("я", 39) + "…"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, shorten(tc.in, 40), "%q", tc.in)
		assert.LessOrEqual(t, len([]rune(shorten(tc.in, 40))), 40)
	}
}

// TestDiagramSkipFollowsNextWhen: a hot lead that skips company_size goes
// to the phone by the next_when rule, as the diagram draws it: the rule's
// edge, and the skip edge only for when no rule holds.
func TestDiagramSkipFollowsNextWhen(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	r := Advance(f, State{Flow: f.ID, Version: f.Version, Lang: "ru", Step: "company_size", Score: 80}, Input{Text: "-"})
	require.False(t, r.Invalid)
	require.Equal(t, "phone", r.State.Step, "the engine applies next_when to a skip")
	var skip, rule []diagramEdge
	for _, e := range diagramEdges(f, "en") {
		switch {
		case e.From == "company_size" && e.Kind == edgeSkip:
			skip = append(skip, e)
		case e.From == "company_size" && e.Kind == edgeWhen:
			rule = append(rule, e)
		}
	}
	require.Equal(t, []diagramEdge{{From: "company_size", To: "email", Label: "skip, otherwise", Kind: edgeSkip}}, skip)
	require.Equal(t, []diagramEdge{{From: "company_size", To: "phone", Label: "if score >= 60", Kind: edgeWhen}}, rule)
}
