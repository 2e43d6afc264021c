package flows

import (
	"fmt"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/voronka/voronka/crm"
)

// Experiment is an A/B test written in a flow: variants of one step (its
// question, its options' wording, which of them are shown and in what
// order) or, with no Step, of the whole flow (each variant names the flow
// its leads follow). The first variant is the baseline the others are
// compared with.
//
// A variant of a step may only change what the customer reads and sees:
// the question, the options' labels, their order, and leaving some out
// (at least two stay). It may not add an option, rename one, or change a
// score or where an option leads, so an answer means the same in every
// arm, conditions and segments keep working, and the stored answers of
// every arm are comparable.
type Experiment struct {
	ID       string
	Step     string // the step varied; "" for a whole-flow experiment
	Variants []*Variant
	Line     int

	pos map[string]int
}

// Variant is one arm of an experiment.
type Variant struct {
	ID     string
	Weight int // its share of leads is Weight / the sum of the weights
	// A step's variant: the question instead of the step's; the options
	// shown, in this order (nil: all, as written); the options' labels
	// instead of theirs (by option id).
	Ask         Text
	Options     []string
	OptionTexts map[string]Text
	// A whole flow's variant: the flow a lead of this variant follows
	// ("" or the flow's own id: this one).
	Flow string
	Line int

	pos  map[string]int
	view *Step // the step as this variant asks it; set at load
}

func (v *Variant) line(key string) int {
	if l, ok := v.pos[key]; ok {
		return l
	}
	return v.Line
}

// experimentKey is what a contact's variant is hashed with: the
// experiment's id (unique across the flows, see Lint), kept apart from
// the campaigns' ids that crm.AssignVariant also hashes.
func experimentKey(id string) string { return "flow-experiment:" + id }

// Assign picks the contact's variant of each of the flow's experiments:
// experiment id -> variant id. The pick is a hash of the experiment and
// the contact (crm.AssignVariant), so it is the same on every replica and
// at every lead of the contact while the weights stay; the caller stores
// it on the lead, which keeps it even if the weights change later.
func (f *Flow) Assign(contactID int64) map[string]string {
	if f == nil || len(f.Experiments) == 0 {
		return nil
	}
	out := make(map[string]string, len(f.Experiments))
	for _, e := range f.Experiments {
		vs := make([]crm.Variant, len(e.Variants))
		for i, v := range e.Variants {
			vs[i] = crm.Variant{ID: v.ID, Weight: v.Weight}
		}
		out[e.ID] = crm.AssignVariant(experimentKey(e.ID), contactID, vs, "")
	}
	return out
}

// Route is the flow a lead with variants follows: the flow named by the
// variant of f's whole-flow experiment, or f's own id.
func (f *Flow) Route(variants map[string]string) string {
	if f == nil {
		return ""
	}
	for _, e := range f.Experiments {
		if e.Step == "" {
			if v := e.variant(variants[e.ID]); v != nil && v.Flow != "" {
				return v.Flow
			}
		}
	}
	return f.ID
}

// Experiment returns the experiment with id, nil if there is none.
func (f *Flow) Experiment(id string) *Experiment {
	for _, e := range f.Experiments {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// variant returns the variant with id, or the first (the baseline) when
// id names none: a dialogue begun before the experiment existed, or whose
// variant was removed since, gets the step as the baseline asks it.
func (e *Experiment) variant(id string) *Variant {
	for _, v := range e.Variants {
		if v.ID == id {
			return v
		}
	}
	if len(e.Variants) == 0 {
		return nil
	}
	return e.Variants[0]
}

// view returns step id as the dialogue with variants asks it: the step
// itself, or its variant's copy.
func (f *Flow) view(variants map[string]string, id string) *Step {
	st := f.Step(id)
	if st == nil || len(f.Experiments) == 0 {
		return st
	}
	for _, e := range f.Experiments {
		if e.Step != id {
			continue
		}
		v := e.variant(variants[e.ID])
		if v == nil {
			return st
		}
		if v.view != nil {
			return v.view
		}
		return variantStep(st, v) // a hand-built flow
	}
	return st
}

// variantStep builds the step as v asks it. The copy shares the options
// it keeps (they are immutable), so scores and next are the step's own.
func variantStep(st *Step, v *Variant) *Step {
	if v.Ask == nil && v.Options == nil && v.OptionTexts == nil {
		return st
	}
	c := *st
	c.written = st
	if v.Ask != nil {
		c.Ask = v.Ask
	}
	if v.Options != nil {
		c.Options = nil
		for _, id := range v.Options {
			if o := st.option(id); o != nil {
				c.Options = append(c.Options, o)
			}
		}
	}
	if v.OptionTexts != nil {
		opts := make([]*Option, len(c.Options))
		for i, o := range c.Options {
			if t, ok := v.OptionTexts[o.ID]; ok {
				oc := *o
				oc.Text = t
				o = &oc
			}
			opts[i] = o
		}
		c.Options = opts
	}
	return &c
}

// writtenOrder returns the step's options that st shows, in the order the
// step was written: a multi answer is stored in that order whatever order
// a variant shows them in, so every arm stores the same value.
func (st *Step) writtenOrder() []*Option {
	if st.written == nil {
		return st.Options
	}
	var out []*Option
	for _, o := range st.written.Options {
		if slices.ContainsFunc(st.Options, func(x *Option) bool { return x.ID == o.ID }) {
			out = append(out, st.option(o.ID))
		}
	}
	return out
}

// experimentIDPattern: experiment ids are stored on leads and typed in
// /ab; variant ids follow the option ids.
var experimentIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// experiments reads the top-level `experiments:` list.
func (p *parser) experiments(n *yaml.Node) []*Experiment {
	var out []*Experiment
	for _, item := range p.seq(n, "", "experiments") {
		pairs, ok := p.mapping(item, "", "an experiment")
		if !ok {
			continue
		}
		e := &Experiment{Line: item.Line, pos: map[string]int{}}
		p.known(pairs, "", "an experiment", "id", "step", "variants")
		for _, kv := range pairs {
			e.pos[kv.key] = kv.k.Line
			switch kv.key {
			case "id":
				e.ID, _ = p.str(kv.v, "", "experiment id")
			case "step":
				e.Step, _ = p.str(kv.v, "", "experiment step")
			case "variants":
				for _, vn := range p.seq(kv.v, "", "variants") {
					if v := p.variant(vn); v != nil {
						e.Variants = append(e.Variants, v)
					}
				}
			}
		}
		out = append(out, e)
	}
	return out
}

func (p *parser) variant(n *yaml.Node) *Variant {
	pairs, ok := p.mapping(n, "", "a variant")
	if !ok {
		return nil
	}
	v := &Variant{Line: n.Line, pos: map[string]int{}}
	p.known(pairs, "", "a variant", "id", "weight", "ask", "options", "option_texts", "flow")
	for _, kv := range pairs {
		v.pos[kv.key] = kv.k.Line
		switch kv.key {
		case "id":
			v.ID, _ = p.str(kv.v, "", "variant id")
		case "weight":
			v.Weight, _ = p.integer(kv.v, "", "variant weight")
		case "ask":
			v.Ask = p.text(kv.v, "", "variant ask")
		case "options":
			v.Options = []string{}
			for _, o := range p.seq(kv.v, "", "variant options") {
				if id, ok := p.str(o, "", "a variant option"); ok {
					v.Options = append(v.Options, id)
				}
			}
		case "option_texts":
			ps, ok := p.mapping(kv.v, "", "option_texts")
			if !ok {
				continue
			}
			v.OptionTexts = map[string]Text{}
			for _, o := range ps {
				if t := p.text(o.v, "", "option_texts."+o.key); t != nil {
					v.OptionTexts[o.key] = t
				}
			}
		case "flow":
			v.Flow, _ = p.str(kv.v, "", "variant flow")
		}
	}
	return v
}

// maxWeight keeps the weights' sum far from overflowing the hash's range.
const maxWeight = 1_000_000

// checkExperiments checks the flow's experiments against its steps, and
// builds each step variant's view when it is sound.
func (p *parser) checkExperiments(f *Flow) {
	seen := map[string]int{}
	varied := map[string]string{} // step -> experiment
	wholeFlow := ""
	for _, e := range f.Experiments {
		line := func(key string) int {
			if l, ok := e.pos[key]; ok {
				return l
			}
			return e.Line
		}
		switch {
		case e.ID == "":
			p.add(e.Line, "", "an experiment has no id")
		case !experimentIDPattern.MatchString(e.ID):
			p.add(line("id"), "", "experiment id %q must be lowercase letters, digits, _ or -, starting with a letter", e.ID)
		case seen[e.ID] > 0:
			p.add(line("id"), "", "duplicate experiment id %q (first at line %d)", e.ID, seen[e.ID])
		}
		if e.ID != "" && seen[e.ID] == 0 {
			seen[e.ID] = e.Line
		}
		var st *Step
		if _, ok := e.pos["step"]; ok {
			st = f.Step(e.Step)
			switch {
			case st == nil:
				p.add(line("step"), "", "experiment %s: unknown step %q%s", e.ID, e.Step, suggest(e.Step, stepNames(f)))
			case st.Kind == KindEnd:
				p.add(line("step"), "", "experiment %s: step %q is an end step; vary a question", e.ID, e.Step)
				st = nil
			case varied[e.Step] != "":
				p.add(line("step"), "", "experiment %s: step %q is already varied by experiment %s; one experiment a step", e.ID, e.Step, varied[e.Step])
				st = nil
			default:
				varied[e.Step] = e.ID
			}
		} else if wholeFlow != "" {
			p.add(e.Line, "", "experiment %s: the flow already has a whole-flow experiment (%s); give this one a step", e.ID, wholeFlow)
		} else {
			wholeFlow = e.ID
		}
		if len(e.Variants) < 2 {
			p.add(line("variants"), "", "experiment %s needs at least 2 variants", e.ID)
		}
		vseen := map[string]int{}
		for _, v := range e.Variants {
			p.checkVariant(f, e, st, v, vseen)
		}
	}
}

func (p *parser) checkVariant(f *Flow, e *Experiment, st *Step, v *Variant, seen map[string]int) {
	where := fmt.Sprintf("experiment %s, variant %s", e.ID, v.ID)
	before := len(p.probs)
	switch {
	case v.ID == "":
		p.add(v.Line, "", "experiment %s: a variant has no id", e.ID)
	case !optionIDPattern.MatchString(v.ID):
		p.add(v.line("id"), "", "%s: variant id must be lowercase letters, digits, _ or -", where)
	case seen[v.ID] > 0:
		p.add(v.line("id"), "", "%s: duplicate variant id (first at line %d)", where, seen[v.ID])
	}
	if v.ID != "" && seen[v.ID] == 0 {
		seen[v.ID] = v.Line
	}
	if _, ok := v.pos["weight"]; !ok {
		p.add(v.Line, "", "%s: weight is missing (a positive whole number; shares are weight / sum of weights)", where)
	} else if v.Weight < 1 || v.Weight > maxWeight {
		p.add(v.line("weight"), "", "%s: weight must be from 1 to %d, got %d", where, maxWeight, v.Weight)
	}
	if e.Step == "" {
		for _, k := range []string{"ask", "options", "option_texts"} {
			if _, ok := v.pos[k]; ok {
				p.add(v.line(k), "", "%s: %s varies a step, and this experiment has no step", where, k)
			}
		}
		if v.Flow != "" && !flowIDPattern.MatchString(v.Flow) {
			p.add(v.line("flow"), "", "%s: flow %q is not a flow id", where, v.Flow)
		}
		return
	}
	if _, ok := v.pos["flow"]; ok {
		p.add(v.line("flow"), "", "%s: flow is for whole-flow experiments (without step)", where)
	}
	if st == nil {
		return
	}
	if v.Ask != nil {
		p.checkText(f, st, v.line("ask"), where+": ask", v.Ask)
	}
	choosing := st.Kind == KindChoice || st.Kind == KindMulti
	if !choosing {
		for _, k := range []string{"options", "option_texts"} {
			if _, ok := v.pos[k]; ok {
				p.add(v.line(k), st.ID, "%s: %s are only for choice and multi steps", where, k)
			}
		}
	}
	shown := map[string]bool{}
	if choosing && v.Options != nil {
		for _, id := range v.Options {
			switch {
			case st.option(id) == nil:
				p.add(v.line("options"), st.ID, "%s: option %q does not exist in the step%s (a variant may reorder and leave out options, not add or rename them)",
					where, id, suggest(id, optionIDs(st)))
			case shown[id]:
				p.add(v.line("options"), st.ID, "%s: option %q is listed twice", where, id)
			}
			shown[id] = true
		}
		if len(v.Options) < 2 {
			p.add(v.line("options"), st.ID, "%s: a %s step needs at least 2 options", where, st.Kind)
		}
		if st.Kind == KindMulti && st.Min != nil && len(v.Options) < int(*st.Min) {
			p.add(v.line("options"), st.ID, "%s: the step's min is %v but the variant shows %d options", where, *st.Min, len(v.Options))
		}
	}
	if choosing {
		for _, id := range sortedKeys(v.OptionTexts) {
			switch {
			case st.option(id) == nil:
				p.add(v.line("option_texts"), st.ID, "%s: option_texts names option %q, which the step does not have%s", where, id, suggest(id, optionIDs(st)))
			case v.Options != nil && !shown[id]:
				p.add(v.line("option_texts"), st.ID, "%s: option_texts names option %q, which the variant does not show", where, id)
			default:
				p.checkText(f, st, v.line("option_texts"), fmt.Sprintf("%s: option %q", where, id), v.OptionTexts[id])
			}
		}
	}
	if len(p.probs) > before {
		return
	}
	v.view = variantStep(st, v)
	if n := buttons(v.view); choosing && n > maxButtons {
		p.add(v.line("options"), st.ID, "%s: %d buttons, over Telegram's %d per message", where, n, maxButtons)
	}
}

func optionIDs(st *Step) []string {
	out := make([]string, len(st.Options))
	for i, o := range st.Options {
		out[i] = o.ID
	}
	return out
}

// checkAcross checks what no single flow file shows about experiments:
// an experiment id is used by one flow only (leads store it, and /ab
// reports by it), and a whole-flow variant names a flow that exists
// (known: every flow id found, good or broken, so a typo elsewhere does
// not read as a missing flow). fs are the good flows, in file order.
func checkAcross(fs []*Flow, known map[string]bool) map[*Flow]Problems {
	out := map[*Flow]Problems{}
	owner := map[string]*Flow{}
	for _, f := range fs {
		for _, e := range f.Experiments {
			if other, ok := owner[e.ID]; ok && other != f {
				out[f] = append(out[f], Problem{File: f.File, Line: e.pos["id"],
					Msg: fmt.Sprintf("experiment id %q is used by flow %s (%s) too; experiment ids are unique across flows", e.ID, other.ID, other.File)})
				continue
			}
			owner[e.ID] = f
			if e.Step != "" {
				continue
			}
			for _, v := range e.Variants {
				if v.Flow != "" && !known[v.Flow] {
					out[f] = append(out[f], Problem{File: f.File, Line: v.line("flow"),
						Msg: fmt.Sprintf("experiment %s, variant %s: no flow %q%s", e.ID, v.ID, v.Flow, suggest(v.Flow, sortedKeys(known)))})
				}
			}
		}
	}
	return out
}
