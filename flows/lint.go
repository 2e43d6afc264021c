package flows

import (
	"errors"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// Source is one flow file to lint, as read: its name as problems show it
// and its bytes, or why it could not be read.
type Source struct {
	Name string
	Data []byte
	Err  error
}

// Lint parses every source, which runs every check of this package (form
// and unknown keys, references, unreachable steps, loops, missing
// translations, conditions and their cost, keyboards, an unreachable hot
// threshold), and adds what no single file can show: that each flow id is
// used once, since start links pick a flow by its id. The id of a broken
// file still counts, read straight from its YAML, so a clash is not hidden
// behind an unrelated typo. Experiments are checked across the files too:
// an experiment id belongs to one flow, and a whole-flow variant names a
// flow that exists. problems[i] belongs to srcs[i] (nil for a good one);
// good holds the flows without problems, in source order.
func Lint(srcs []Source) (problems []Problems, good []*Flow) {
	problems = make([]Problems, len(srcs))
	firstWithID := map[string]string{}
	index := map[*Flow]int{}
	defer func() {
		known := map[string]bool{}
		for id := range firstWithID {
			known[id] = true
		}
		across := checkAcross(good, known)
		if len(across) == 0 {
			return
		}
		var kept []*Flow
		for _, f := range good {
			ps, bad := across[f]
			if !bad {
				kept = append(kept, f)
				continue
			}
			i := index[f]
			problems[i] = append(problems[i], ps...)
			slices.SortStableFunc(problems[i], func(a, b Problem) int { return a.Line - b.Line })
		}
		good = kept
	}()
	for i, src := range srcs {
		if src.Err != nil {
			problems[i] = Problems{{File: src.Name, Msg: src.Err.Error()}}
			continue
		}
		f, err := Parse(src.Name, src.Data)
		var ps Problems
		switch {
		case errors.As(err, &ps):
			problems[i] = append(problems[i], ps...)
		case err != nil:
			problems[i] = append(problems[i], Problem{File: src.Name, Msg: err.Error()})
		}
		id, line := FlowID(src.Data)
		if id == "" {
			if err == nil {
				index[f] = i
				good = append(good, f)
			}
			continue
		}
		if other, ok := firstWithID[id]; ok {
			problems[i] = append(problems[i], Problem{File: src.Name, Line: line,
				Msg: fmt.Sprintf("duplicate flow id %q: %s has it too", id, other)})
			slices.SortStableFunc(problems[i], func(a, b Problem) int { return a.Line - b.Line })
			continue
		}
		firstWithID[id] = src.Name
		if err == nil {
			index[f] = i
			good = append(good, f)
		}
	}
	return problems, good
}

// FlowID reads the top-level id of a flow file and its line, or "" when
// the file has none that can be read. Like Parse, it survives a panic of
// the YAML library on hostile input.
func FlowID(data []byte) (id string, line int) {
	defer func() {
		if recover() != nil {
			id, line = "", 0
		}
	}()
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return "", 0
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return "", 0
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "id" && v.Kind == yaml.ScalarNode {
			return v.Value, k.Line
		}
	}
	return "", 0
}
