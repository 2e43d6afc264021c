package flows

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Diagrams of a flow, for `voronka flows graph`: a manager reads the flow as
// a picture, a reviewer diffs the text. Both formats draw the same thing,
// in the order of the file, so the output of an unchanged flow never
// changes:
//
//   - one node per step, labelled with its id, kind and marks (segment,
//     optional), the first line of its question (or, for an end step, of
//     its closing message) shortened, number/length/pick bounds, the
//     options of a multi step, and its score_when rules ("+30 if value >=
//     1000000"). End steps are filled green; segment steps have a heavy
//     border, optional ones a dashed one. A small "start" node points at
//     the first step.
//   - one edge per way out of a step: an option of a choice step goes to
//     its own next, or else to the step's next, labelled with the option's
//     text and score ("I want to buy (+30)"); each next_when rule is a
//     dashed edge labelled "if <condition>" (the rules are checked first,
//     in order, for any answer without an option next of its own); the
//     step's next is an edge labelled "next" (or "otherwise" after
//     next_when rules) on steps that have no options to carry it; an
//     optional step's Skip is a dotted edge labelled "skip" — "skip,
//     otherwise" when the step has next_when rules, which a skip passes
//     through first, as the engine does.

// diagramEdge is one arrow of a flow's diagram.
type diagramEdge struct {
	From, To string // step ids
	Label    string
	Kind     edgeKind
}

// edgeKind says which rule of a step an edge draws.
type edgeKind int

// The kinds of diagram edges.
const (
	edgeOption edgeKind = iota // an option of a choice step
	edgeWhen                   // a next_when rule
	edgeNext                   // the step's next
	edgeSkip                   // Skip on an optional step
)

// diagramEdges lists the arrows of f's diagram in the order DOT and
// Mermaid draw them: by step, then options, next_when rules, next, skip.
// Texts are in lang (else the flow's fallback language).
func diagramEdges(f *Flow, lang string) []diagramEdge {
	fb := f.fallback()
	var out []diagramEdge
	add := func(from, to, label string, kind edgeKind) {
		if to != "" {
			out = append(out, diagramEdge{From: from, To: to, Label: label, Kind: kind})
		}
	}
	for _, s := range f.Steps {
		if s == nil || s.Kind == KindEnd {
			continue
		}
		if s.Kind == KindChoice {
			for _, o := range s.Options {
				to := o.Next
				if to == "" {
					to = s.Next
				}
				add(s.ID, to, optionLabel(o.Text.in(lang, fb), o.Score), edgeOption)
			}
		}
		for _, c := range s.NextWhen {
			add(s.ID, c.Goto, "if "+c.If, edgeWhen)
		}
		if s.Kind != KindChoice {
			label := "next"
			if len(s.NextWhen) > 0 {
				label = "otherwise"
			}
			add(s.ID, s.Next, label, edgeNext)
		}
		if s.Optional {
			// A skip goes through the next_when rules like any answer (the
			// engine evaluates them with the step unanswered), so with
			// rules its edge is where it goes when none holds.
			label := "skip"
			if len(s.NextWhen) > 0 {
				label = "skip, otherwise"
			}
			add(s.ID, s.Next, label, edgeSkip)
		}
	}
	return out
}

// optionLabel is how an option's edge reads: its text and, unless zero,
// its score: "I want to buy (+30)", "Just looking".
func optionLabel(text string, score int) string {
	if score == 0 {
		return text
	}
	return fmt.Sprintf("%s (%+d)", text, score)
}

// nodeLines is the label of a step's node, one entry a line.
func nodeLines(f *Flow, s *Step, lang string) []string {
	fb := f.fallback()
	head := s.ID + " · " + s.Kind
	if s.Segment {
		head += " · segment"
	}
	if s.Optional {
		head += " · optional"
	}
	lines := []string{head}
	text := s.Ask
	if s.Kind == KindEnd {
		text = s.Say
	}
	if q := shorten(text.in(lang, fb), 40); q != "" {
		lines = append(lines, q)
	}
	if b := boundsNote(s); b != "" {
		lines = append(lines, b)
	}
	if s.Kind == KindMulti {
		for _, o := range s.Options {
			lines = append(lines, "• "+optionLabel(o.Text.in(lang, fb), o.Score))
		}
	}
	for _, c := range s.ScoreWhen {
		lines = append(lines, fmt.Sprintf("%+d if %s", c.Score, c.If))
	}
	return lines
}

// boundsNote describes min and max in the words of the step's kind.
func boundsNote(s *Step) string {
	if s.Min == nil && s.Max == nil {
		return ""
	}
	unit := ""
	switch s.Kind {
	case KindText:
		unit = " chars"
	case KindMulti:
		unit = " picks"
	}
	var parts []string
	if s.Min != nil {
		parts = append(parts, "min "+strconv.FormatFloat(*s.Min, 'f', -1, 64)+unit)
	}
	if s.Max != nil {
		parts = append(parts, "max "+strconv.FormatFloat(*s.Max, 'f', -1, 64)+unit)
	}
	return strings.Join(parts, ", ")
}

// shorten returns the first line of s, with runs of white space made one
// space and {name}-style placeholders kept, cut to at most n runes with an
// ellipsis at a word boundary when there is one close by.
func shorten(s string, n int) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	line = strings.Join(strings.Fields(line), " ")
	if utf8.RuneCountInString(line) <= n {
		return line
	}
	r := []rune(line)[:n-1]
	if i := lastSpace(r); i > n/2 {
		r = r[:i]
	}
	return strings.TrimRightFunc(string(r), func(c rune) bool { return unicode.IsSpace(c) || unicode.IsPunct(c) }) + "…"
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ' ' {
			return i
		}
	}
	return -1
}

// diagramTitle heads the diagram: the flow, its version, language and thresholds.
func diagramTitle(f *Flow, lang string) string {
	return fmt.Sprintf("%s v%d (%s) · hot ≥ %d · warm ≥ %d", f.ID, f.Version, diagramLang(f, lang), f.Thresholds.Hot, f.Thresholds.Warm)
}

// diagramLang is lang if the flow has it, else its fallback language.
func diagramLang(f *Flow, lang string) string {
	if contains(f.Languages, lang) {
		return lang
	}
	return f.fallback()
}

// DOT draws f in Graphviz's DOT language, texts in lang (else the flow's
// fallback language). `dot -Tpng` turns it into a picture.
func DOT(f *Flow, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(f.ID))
	fmt.Fprintf(&b, "\tgraph [label=%s, labelloc=t, rankdir=TB, fontname=\"Helvetica\"];\n", dotQuote(diagramTitle(f, lang)))
	b.WriteString("\tnode [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("\t\"_start\" [label=\"start\", shape=circle, style=filled, fillcolor=black, fontcolor=white, fontsize=8, width=0.3];\n")
	for _, s := range f.Steps {
		if s == nil {
			continue
		}
		attrs := []string{"label=" + dotQuote(strings.Join(nodeLines(f, s, lang), "\n"))}
		switch {
		case s.Kind == KindEnd:
			attrs = append(attrs, `style="rounded,filled"`, `fillcolor="#d9f2d9"`, `color="#2e7d32"`, "peripheries=2")
		case s.Optional:
			attrs = append(attrs, `style="rounded,dashed"`)
		}
		if s.Segment {
			attrs = append(attrs, "penwidth=2.5")
		}
		fmt.Fprintf(&b, "\t%s [%s];\n", dotQuote(s.ID), strings.Join(attrs, ", "))
	}
	if f.Start != "" {
		fmt.Fprintf(&b, "\t\"_start\" -> %s;\n", dotQuote(f.Start))
	}
	for _, e := range diagramEdges(f, lang) {
		attrs := []string{"label=" + dotQuote(e.Label)}
		switch e.Kind {
		case edgeWhen:
			attrs = append(attrs, "style=dashed", `color="#1f6feb"`, `fontcolor="#1f6feb"`)
		case edgeSkip:
			attrs = append(attrs, "style=dotted", `color="#6e7781"`, `fontcolor="#6e7781"`)
		}
		fmt.Fprintf(&b, "\t%s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote makes s a DOT quoted string. Line breaks become \n (a centred
// line in a label); a backslash is doubled, because \l, \N and friends
// mean something in labels; other control characters become spaces.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Mermaid draws f as a Mermaid flowchart (GitHub, GitLab and most wikis
// render it in a ```mermaid block), texts in lang (else the flow's
// fallback language). Node ids are the step ids prefixed with "s_", so a
// step called "end" or "o1" cannot be read as Mermaid syntax, and every
// label is quoted with Mermaid's special characters written as entity
// codes (see mermaidText).
func Mermaid(f *Flow, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\n", strconv.Quote(diagramTitle(f, lang)))
	b.WriteString("flowchart TD\n")
	b.WriteString("    classDef finish fill:#d9f2d9,stroke:#2e7d32,stroke-width:2px\n")
	b.WriteString("    classDef segment stroke-width:3px\n")
	b.WriteString("    classDef optional stroke-dasharray:5 5\n")
	b.WriteString("    flow_start((\"start\"))\n")
	var finish, segment, optional []string
	for _, s := range f.Steps {
		if s == nil {
			continue
		}
		id := mermaidID(s.ID)
		lines := nodeLines(f, s, lang)
		for i, l := range lines {
			lines[i] = mermaidText(l)
		}
		label := `"` + strings.Join(lines, "<br/>") + `"`
		switch {
		case s.Kind == KindEnd:
			fmt.Fprintf(&b, "    %s([%s])\n", id, label)
			finish = append(finish, id)
		default:
			fmt.Fprintf(&b, "    %s[%s]\n", id, label)
			if s.Segment {
				segment = append(segment, id)
			} else if s.Optional {
				optional = append(optional, id)
			}
		}
	}
	if f.Start != "" {
		fmt.Fprintf(&b, "    flow_start --> %s\n", mermaidID(f.Start))
	}
	for _, e := range diagramEdges(f, lang) {
		arrow := "-->"
		if e.Kind == edgeWhen || e.Kind == edgeSkip {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "    %s %s|\"%s\"| %s\n", mermaidID(e.From), arrow, mermaidText(e.Label), mermaidID(e.To))
	}
	for _, c := range []struct {
		class string
		ids   []string
	}{{"finish", finish}, {"segment", segment}, {"optional", optional}} {
		if len(c.ids) > 0 {
			fmt.Fprintf(&b, "    class %s %s\n", strings.Join(c.ids, ","), c.class)
		}
	}
	return b.String()
}

// mermaidID is the Mermaid node id of a step.
func mermaidID(step string) string { return "s_" + step }

// mermaidText makes s safe inside a quoted Mermaid label: characters that
// end a label or start syntax (quotes, brackets, braces, parentheses,
// pipes, angle brackets, #, &, %, ;, backticks) are written as Mermaid's
// entity codes (#quot;, #91; …), and line breaks and other control
// characters as spaces (the caller joins lines with <br/>).
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#', '&', '%', ';', '[', ']', '(', ')', '{', '}', '|', '<', '>', '`', '\\':
			fmt.Fprintf(&b, "#%d;", r)
		default:
			if unicode.IsControl(r) {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
