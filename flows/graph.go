package flows

import (
	"slices"
	"strings"
)

// branch is one way of answering a step: the most score it can add and the
// steps it may lead to.
type branch struct {
	gain int
	to   []string
}

// branches lists a step's ways of answering. Conditions are assumed able to
// go either way, so gains are upper bounds: good enough to prove a threshold
// unreachable, which is what they are used for.
func branches(s *Step) []branch {
	if s.Kind == KindEnd {
		return nil
	}
	conds := 0
	for _, c := range s.ScoreWhen {
		conds += max(c.Score, 0)
	}
	var fall []string // where an answer goes when its option does not say
	for _, c := range s.NextWhen {
		fall = appendNew(fall, c.Goto)
	}
	fall = appendNew(fall, s.Next)
	var out []branch
	switch s.Kind {
	case KindChoice:
		for _, o := range s.Options {
			to := fall
			if o.Next != "" {
				to = []string{o.Next}
			}
			out = append(out, branch{gain: o.Score + conds, to: to})
		}
	case KindMulti:
		scores := make([]int, 0, len(s.Options))
		for _, o := range s.Options {
			scores = append(scores, o.Score)
		}
		slices.Sort(scores)
		slices.Reverse(scores)
		k := len(scores)
		if s.Max != nil && int(*s.Max) >= 0 && int(*s.Max) < k {
			k = int(*s.Max)
		}
		gain := 0
		for i, sc := range scores[:k] {
			if sc > 0 || i == 0 { // at least one pick is always made
				gain += sc
			}
		}
		out = append(out, branch{gain: gain + conds, to: fall})
	default:
		out = append(out, branch{gain: conds, to: fall})
	}
	if s.Optional {
		out = append(out, branch{gain: 0, to: fall})
	}
	return out
}

func appendNew(list []string, s string) []string {
	if s == "" || contains(list, s) {
		return list
	}
	return append(list, s)
}

// successors lists the existing steps that can follow s.
func successors(f *Flow, s *Step) []string {
	var out []string
	for _, b := range branches(s) {
		for _, t := range b.to {
			if f.Step(t) != nil {
				out = appendNew(out, t)
			}
		}
	}
	return out
}

// graph checks the flow as a whole: it can finish, every step can be
// reached, no step can be asked twice, and the hot threshold is attainable.
func (p *parser) graph(f *Flow) {
	hasEnd := false
	for _, s := range f.Steps {
		hasEnd = hasEnd || s.Kind == KindEnd
	}
	if len(f.Steps) > 0 && !hasEnd {
		p.add(p.line(f, "steps"), "", "the flow has no end step: a dialogue must be able to finish")
	}
	// Without an end every loop is trapped; "no end step" says it already.
	cyclic := hasEnd && p.cycles(f)
	start := f.Step(f.Start)
	if start != nil && !cyclic && !p.broken {
		p.unreachable(f, start)
	}
	if start != nil && !cyclic && hasEnd && f.Thresholds.Hot > 0 {
		memo := map[string]int{}
		if best := bestScore(f, start, memo); best < f.Thresholds.Hot {
			p.add(p.line(f, "thresholds"), "", "the hot threshold %d is unreachable: the best path through the flow scores %d", f.Thresholds.Hot, best)
		}
	}
}

// cycles reports every loop of steps. A loop with no way out traps the
// customer; a loop with one would ask a step twice, and a lead keeps one
// answer per step (crm.LeadStore refuses a second), so both are problems.
func (p *parser) cycles(f *Flow) bool {
	// Tarjan's strongly connected components.
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var comps [][]string
	next := 0
	var visit func(id string)
	visit = func(id string) {
		index[id], low[id] = next, next
		next++
		stack = append(stack, id)
		onStack[id] = true
		for _, t := range successors(f, f.Step(id)) {
			if _, ok := index[t]; !ok {
				visit(t)
				low[id] = min(low[id], low[t])
			} else if onStack[t] {
				low[id] = min(low[id], index[t])
			}
		}
		if low[id] == index[id] {
			var comp []string
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				comp = append(comp, top)
				if top == id {
					break
				}
			}
			comps = append(comps, comp)
		}
	}
	for _, s := range f.Steps {
		if _, ok := index[s.ID]; !ok && f.index[s.ID] == s {
			visit(s.ID)
		}
	}
	found := false
	for _, comp := range comps {
		first := f.Step(comp[0])
		if len(comp) == 1 && !contains(successors(f, first), first.ID) {
			continue
		}
		found = true
		ordered := make([]*Step, 0, len(comp))
		for _, s := range f.Steps {
			if contains(comp, s.ID) && f.index[s.ID] == s {
				ordered = append(ordered, s)
			}
		}
		names := make([]string, len(ordered))
		exit := false
		for i, s := range ordered {
			names[i] = s.ID
			for _, t := range successors(f, s) {
				exit = exit || !contains(comp, t)
			}
		}
		loop := strings.Join(names, " → ") + " → " + names[0]
		if exit {
			p.add(ordered[0].Line, ordered[0].ID, "steps loop (%s): a step can be answered only once in a dialogue", loop)
		} else {
			p.add(ordered[0].Line, ordered[0].ID, "a cycle with no way out (%s): the dialogue could never finish", loop)
		}
	}
	return found
}

// bestScore is the most a dialogue from s can score, over every path.
func bestScore(f *Flow, s *Step, memo map[string]int) int {
	if v, ok := memo[s.ID]; ok {
		return v
	}
	best := 0
	for i, b := range branches(s) {
		after := 0
		for j, t := range b.to {
			if ts := f.Step(t); ts != nil {
				if v := bestScore(f, ts, memo); j == 0 || v > after {
					after = v
				}
			}
		}
		if v := b.gain + after; i == 0 || v > best {
			best = v
		}
	}
	memo[s.ID] = best
	return best
}

// unreachable reports steps no path from start leads to: they are a
// mistake in the wiring, since nobody would ever be asked them.
func (p *parser) unreachable(f *Flow, start *Step) {
	seen := map[string]bool{start.ID: true}
	queue := []*Step{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range successors(f, s) {
			if !seen[t] {
				seen[t] = true
				queue = append(queue, f.Step(t))
			}
		}
	}
	for _, s := range f.Steps {
		if s.ID != "" && !seen[s.ID] && f.index[s.ID] == s {
			p.add(s.Line, s.ID, "unreachable: no path from start %q leads here", f.Start)
		}
	}
}
