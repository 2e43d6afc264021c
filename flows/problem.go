package flows

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a flow file. Loading collects every
// problem rather than stopping at the first, so an operator fixes a file in
// one pass instead of one error per run.
type Problem struct {
	File string
	Line int    // 0 when the problem has no place in the file
	Step string // "" when the problem is not about one step
	Msg  string
}

// String formats the problem the way compilers do, so editors and CI
// annotations can jump to the line:
// `configs/flows/qualify.yaml:12: step budget: unknown next step "emial"`.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Step != "" {
		fmt.Fprintf(&b, "step %s: ", p.Step)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems are all problems found in one or more flow files. It is the
// error that Parse, Load, LoadDir and LoadFS return for broken flows.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems by file and line, so the list reads top to bottom
// like the file does; problems on one line keep the order they were found in.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

// err returns ps as an error, or a nil error (not a nil Problems in an
// interface) when there are none.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.sort()
	return ps
}
