package flows

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

var (
	flowIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	// Step ids are variables in conditions, hence identifier-shaped.
	stepIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// Option ids travel in callback data ("step:option") and multi answers
	// ("a,b"), so ':' ',' and '!' (our "!done", "!skip") are kept out.
	optionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	langPattern     = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// maxCallbackData is Telegram's limit on an inline button's callback data.
const maxCallbackData = 64

// maxButtons is Telegram's limit on the inline buttons of one message.
const maxButtons = 100

// maxMessage is Telegram's limit on a message's text, in characters.
const maxMessage = 4096

func isKind(k string) bool { return contains(kinds(), k) }

func kinds() []string {
	return []string{KindText, KindChoice, KindMulti, KindPhone, KindEmail, KindNumber, KindEnd}
}

// reservedStepIDs are the names conditions already use for something else.
func reservedStepIDs() []string { return []string{"score", "value", "answers"} }

// validate checks what the decoder cannot see on one node: required keys,
// references between steps, the shape of the graph and the scoring.
func (p *parser) validate(f *Flow) {
	p.flowFields(f)
	p.stepIDs(f)
	p.vars, p.exprConf = condVars(f), condConfig()
	for _, s := range f.Steps {
		p.checkStep(f, s)
	}
	p.checkExperiments(f)
	p.graph(f)
}

func (p *parser) line(f *Flow, key string) int { return f.pos[key] }

func (p *parser) flowFields(f *Flow) {
	if _, ok := f.pos["id"]; !ok {
		p.add(1, "", "the flow has no id")
	} else if !flowIDPattern.MatchString(f.ID) {
		p.add(p.line(f, "id"), "", "flow id %q must be lowercase letters, digits, _ or -, starting with a letter", f.ID)
	}
	if _, ok := f.pos["version"]; !ok {
		p.add(1, "", "the flow has no version (start with version: 1 and raise it on every change)")
	} else if f.Version < 1 && !p.failed["version"] {
		p.add(p.line(f, "version"), "", "version must be 1 or more")
	}
	if len(f.Languages) == 0 {
		p.add(p.line(f, "languages"), "", "languages are missing: list them, the fallback first, e.g. [ru, en]")
	}
	seen := map[string]bool{}
	for _, l := range f.Languages {
		switch {
		case !langPattern.MatchString(l):
			p.add(p.line(f, "languages"), "", "language %q must be a two- or three-letter code like ru or en", l)
		case seen[l]:
			p.add(p.line(f, "languages"), "", "language %q is listed twice", l)
		}
		seen[l] = true
	}
	if _, ok := f.pos["thresholds"]; !ok {
		p.add(1, "", "thresholds are missing, e.g. thresholds: {hot: 60, warm: 30}")
	} else if t := f.Thresholds; !(t.Hot > t.Warm && t.Warm >= 0) && !p.failed["thresholds"] {
		p.add(p.line(f, "thresholds"), "", "thresholds need hot > warm >= 0, got hot %d, warm %d", t.Hot, t.Warm)
	}
	if !phonenumbers.GetSupportedRegions()[f.PhoneRegion] {
		p.add(p.line(f, "phone_region"), "", "phone_region %q is not a known region; use a two-letter country code like RU", f.PhoneRegion)
	}
	for _, key := range sortedKeys(f.Texts) {
		for _, l := range sortedKeys(f.Texts[key]) {
			if !contains(f.Languages, l) {
				p.add(p.line(f, "texts"), "", "texts.%s has a %q text, but %q is not in languages", key, l, l)
			}
		}
	}
	if len(f.Steps) == 0 {
		p.add(p.line(f, "steps"), "", "the flow has no steps")
	}
}

func (p *parser) stepIDs(f *Flow) {
	f.index = map[string]*Step{}
	for _, s := range f.Steps {
		switch {
		case s.ID == "":
			p.add(s.Line, "", "a step has no id")
			continue
		case !stepIDPattern.MatchString(s.ID):
			p.add(s.line("id"), s.ID, "step id must be lowercase letters, digits and _, starting with a letter (it is a variable in conditions)")
		case contains(reservedStepIDs(), s.ID):
			p.add(s.line("id"), s.ID, "step id %q is reserved: conditions use it for something else", s.ID)
		}
		if first, ok := f.index[s.ID]; ok {
			p.add(s.line("id"), s.ID, "duplicate step id (first at line %d)", first.Line)
			continue
		}
		f.index[s.ID] = s
	}
	if f.Start == "" {
		if _, ok := f.pos["start"]; !ok && len(f.Steps) > 0 {
			f.Start = f.Steps[0].ID // the first step, unless said otherwise
		}
	}
	if f.Start != "" && f.Step(f.Start) == nil {
		p.add(p.line(f, "start"), "", "start step %q does not exist%s", f.Start, suggest(f.Start, stepNames(f)))
	}
}

func stepNames(f *Flow) []string {
	out := make([]string, 0, len(f.Steps))
	for _, s := range f.Steps {
		out = append(out, s.ID)
	}
	return out
}

// ref checks that a reference names an existing step.
func (p *parser) ref(f *Flow, s *Step, line int, what, target string) {
	if target != "" && f.Step(target) == nil {
		p.broken = true
		p.add(line, s.ID, "unknown %s step %q%s", what, target, suggest(target, stepNames(f)))
	}
}

func (p *parser) checkStep(f *Flow, s *Step) {
	switch {
	case s.Kind == "":
		p.add(s.Line, s.ID, "kind is missing (one of %s)", strings.Join(kinds(), ", "))
		return
	case !isKind(s.Kind):
		p.add(s.line("kind"), s.ID, "unknown kind %q%s; use one of %s", s.Kind, suggest(s.Kind, kinds()), strings.Join(kinds(), ", "))
		return
	}
	if s.Kind == KindEnd {
		p.endStep(f, s)
		return
	}
	if s.Ask == nil {
		p.add(s.Line, s.ID, "ask is missing: the question to send")
	} else {
		p.checkText(f, s, s.line("ask"), "ask", s.Ask)
	}
	if s.Say != nil {
		p.add(s.line("say"), s.ID, "say is only for end steps; put the text into ask")
	}
	choosing := s.Kind == KindChoice || s.Kind == KindMulti
	if s.Segment && !choosing {
		p.add(s.line("segment"), s.ID, "segment is only for choice and multi steps: a segment is a choice from a list")
	}
	if s.Segment && s.Optional {
		p.add(s.line("optional"), s.ID, "a segment step cannot be optional: segmentation answers are required")
	}
	if choosing {
		p.options(f, s)
	} else if len(s.Options) > 0 {
		p.add(s.line("options"), s.ID, "options are only for choice and multi steps")
	}
	p.bounds(s)
	for i := range s.ScoreWhen {
		p.cond(f, s, &s.ScoreWhen[i], "score_when")
	}
	for i := range s.NextWhen {
		c := &s.NextWhen[i]
		p.cond(f, s, c, "next_when")
		p.ref(f, s, c.Line, "goto", c.Goto)
	}
	p.ref(f, s, s.line("next"), "next", s.Next)
	if s.Optional && len(s.ID)+len(":!skip") > maxCallbackData {
		p.add(s.line("id"), s.ID, "step id is too long: the Skip button's data would exceed Telegram's %d bytes", maxCallbackData)
	}
	allOptionsLead := s.Kind == KindChoice && len(s.Options) > 0
	for _, o := range s.Options {
		allOptionsLead = allOptionsLead && o.Next != ""
	}
	switch {
	case s.Next != "":
	case s.Optional:
		p.broken = true
		p.add(s.Line, s.ID, "an optional step needs next: where Skip leads")
	case !allOptionsLead:
		p.broken = true
		p.add(s.Line, s.ID, "no way forward: set next (or next on every option)")
	}
	if allOptionsLead && !s.Optional && len(s.NextWhen) > 0 {
		p.add(s.line("next_when"), s.ID, "next_when is never used: every option has its own next")
	}
}

func (p *parser) endStep(f *Flow, s *Step) {
	if s.Say == nil {
		p.add(s.Line, s.ID, "an end step needs say: the closing message")
	} else {
		p.checkText(f, s, s.line("say"), "say", s.Say)
		for _, t := range s.Say {
			if strings.Contains(t, "{expect}") && len(f.Expect) < 3 && !p.failed["expect"] {
				p.add(s.line("say"), s.ID, "say uses {expect}, so the flow needs expect for hot, warm and cold")
				break
			}
		}
	}
	for _, k := range []string{"ask", "options", "min", "max", "score_when", "next_when", "next", "optional", "segment"} {
		if _, ok := s.pos[k]; ok {
			p.add(s.line(k), s.ID, "%s is not used by end steps", k)
		}
	}
}

func (p *parser) options(f *Flow, s *Step) {
	if len(s.Options) < 2 {
		p.add(s.line("options"), s.ID, "a %s step needs at least 2 options", s.Kind)
	}
	seen := map[string]int{}
	for _, o := range s.Options {
		switch {
		case o.ID == "":
			p.add(o.Line, s.ID, "an option has no id")
		case !optionIDPattern.MatchString(o.ID):
			p.add(o.Line, s.ID, "option id %q must be lowercase letters, digits, _ or -", o.ID)
		case seen[o.ID] > 0:
			p.add(o.Line, s.ID, "duplicate option id %q (first at line %d)", o.ID, seen[o.ID])
		}
		if o.ID != "" && seen[o.ID] == 0 {
			seen[o.ID] = o.Line
		}
		if n := len(s.ID) + 1 + len(o.ID); n > maxCallbackData {
			p.add(o.Line, s.ID, "button data %q is %d bytes, over Telegram's %d: shorten the step or option id", s.ID+":"+o.ID, n, maxCallbackData)
		}
		if o.Text == nil {
			p.add(o.Line, s.ID, "option %q has no text", o.ID)
		} else {
			p.checkText(f, s, o.Line, fmt.Sprintf("option %q", o.ID), o.Text)
		}
		if o.Next != "" {
			if s.Kind != KindChoice {
				p.add(o.Line, s.ID, "option next works on choice steps only (a multi answer has several options)")
			}
			p.ref(f, s, o.Line, "next", o.Next)
		}
	}
	p.optionAliases(s)
	if n := buttons(s); n > maxButtons {
		extra := ""
		switch {
		case s.Kind == KindMulti && s.Optional:
			extra = " plus Done and Skip"
		case s.Kind == KindMulti:
			extra = " plus Done"
		case s.Optional:
			extra = " plus Skip"
		}
		p.add(s.line("options"), s.ID, "%d options%s make %d buttons, over Telegram's %d per message: split the question", len(s.Options), extra, n, maxButtons)
	}
	if s.Kind == KindMulti && len(s.ID)+len(":!done") > maxCallbackData {
		p.add(s.line("id"), s.ID, "step id is too long: the Done button's data would exceed Telegram's %d bytes", maxCallbackData)
	}
}

// buttons is how many inline buttons the question of a choice or multi
// step has (see question): one per option, Done on a multi step, Skip on
// an optional one.
func buttons(s *Step) int {
	n := len(s.Options)
	if s.Kind == KindMulti {
		n++
	}
	if s.Optional {
		n++
	}
	return n
}

func (p *parser) bounds(s *Step) {
	if s.Min == nil && s.Max == nil {
		return
	}
	switch s.Kind {
	case KindNumber:
	case KindMulti, KindText:
		counts := "characters"
		if s.Kind == KindMulti {
			counts = "picks"
		}
		for _, b := range []struct {
			key string
			v   *float64
		}{{"min", s.Min}, {"max", s.Max}} {
			if b.v != nil && (*b.v != math.Trunc(*b.v) || *b.v < 0 || *b.v > 1e6) {
				p.add(s.line(b.key), s.ID, "%s of a %s step counts %s, so it must be a whole number from 0 to 1000000", b.key, s.Kind, counts)
				return
			}
		}
		if s.Kind == KindMulti {
			if s.Min != nil && *s.Min < 1 {
				p.add(s.line("min"), s.ID, "min of a multi step must be at least 1; make the step optional to allow no answer")
			}
			if s.Max != nil && int(*s.Max) > len(s.Options) {
				p.add(s.line("max"), s.ID, "max is %v but there are only %d options", *s.Max, len(s.Options))
			}
			if s.Min != nil && int(*s.Min) > len(s.Options) {
				p.add(s.line("min"), s.ID, "min is %v but there are only %d options", *s.Min, len(s.Options))
			}
		}
		if s.Max != nil && *s.Max < 1 {
			p.add(s.line("max"), s.ID, "max must be at least 1")
		}
	default:
		p.add(s.Line, s.ID, "min and max are only for number, multi and text steps")
		return
	}
	if s.Min != nil && s.Max != nil && *s.Min > *s.Max {
		p.add(s.line("min"), s.ID, "min %v is greater than max %v", *s.Min, *s.Max)
	}
}

func (p *parser) cond(f *Flow, s *Step, c *Cond, what string) {
	if err := compile(p.exprConf, p.vars, s, c); err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n") // expr adds a source excerpt on more lines
		p.add(c.Line, s.ID, "%s %q: %s", what, c.If, msg)
	}
}

// checkText checks that t has every language of the flow and no other.
func (p *parser) checkText(f *Flow, s *Step, line int, what string, t Text) {
	for _, l := range f.Languages {
		if strings.TrimSpace(t[l]) == "" {
			p.add(line, s.ID, "%s has no %q text", what, l)
		}
	}
	for _, l := range sortedKeys(t) {
		if !contains(f.Languages, l) {
			p.add(line, s.ID, "%s has a %q text, but %q is not in languages", what, l, l)
		}
		if utf8.RuneCountInString(t[l]) > maxMessage-500 { // leave room for a hint before a question
			p.add(line, s.ID, "%s in %q is too long for one Telegram message", what, l)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// optionAliases refuses an alias that is empty or names another option too
// (its label or alias): a typed answer must lead to one option.
func (p *parser) optionAliases(s *Step) {
	owner := map[string]string{}
	for _, o := range s.Options {
		for _, l := range o.Text {
			if n := normalise(l); n != "" && owner[n] == "" {
				owner[n] = o.ID
			}
		}
	}
	for _, o := range s.Options {
		for _, a := range o.Aliases {
			n := normalise(a)
			switch {
			case n == "":
				p.add(o.Line, s.ID, "option %q: alias %q has no letters or digits", o.ID, a)
			case owner[n] != "" && owner[n] != o.ID:
				p.add(o.Line, s.ID, "option %q: alias %q already names option %q", o.ID, a, owner[n])
			default:
				owner[n] = o.ID
			}
		}
	}
}
