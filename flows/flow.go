package flows

import (
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/voronka/voronka/crm"
)

// Step kinds. A kind decides how an answer is read and stored; see
// crm.Answer for the stored forms.
const (
	KindText   = "text"   // free text, stored as typed (trimmed)
	KindChoice = "choice" // one option, stored as its id
	KindMulti  = "multi"  // several options, ids joined by "," in option order
	KindPhone  = "phone"  // share-contact button or typed number, stored in E.164
	KindEmail  = "email"  // a bare address with a lowercased domain
	KindNumber = "number" // a decimal, "1.5k" and "100 000" understood
	KindEnd    = "end"    // says goodbye and finishes the dialogue
)

// Followups is when a stalled dialogue of a flow is followed up: a nudge
// after NudgeAfter of silence, "what happened?" after AskAfter, at most
// MaxNudges messages in all.
type Followups struct {
	NudgeAfter, AskAfter time.Duration
	MaxNudges            int
}

// Text is a text in several languages: lang -> text.
type Text map[string]string

// in returns the text in lang, else in the flow's fallback language, else
// in any language, so a caller never shows an empty message because one
// translation is missing from a hand-built flow (loaded flows have them all).
func (t Text) in(lang, fallback string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	if s, ok := t[fallback]; ok && s != "" {
		return s
	}
	best := ""
	for l, s := range t { // deterministic: the smallest language tag wins
		if s != "" && (best == "" || l < best) {
			best = l
		}
	}
	return t[best]
}

// Flow is one dialogue, loaded from one YAML file. A Flow is immutable once
// loaded, so one value is safely shared by every conversation and goroutine.
type Flow struct {
	ID          string
	Version     int
	Languages   []string                          // first is the fallback
	Thresholds  crm.Thresholds                    // from `thresholds: {hot: 60, warm: 30}`
	Expect      map[crm.Temperature]time.Duration // `expect: {hot: 15m, warm: 4h, cold: 2d}`
	Start       string
	PhoneRegion string // region for numbers typed without +, default "RU"
	Steps       []*Step
	// Followups, when set, replaces the configured follow-up policy for
	// dialogues of this flow that stall.
	Followups *Followups
	Texts     map[string]Text // `texts:` overrides of built-in texts
	// Experiments are the flow's A/B tests (see Experiment).
	Experiments []*Experiment
	File        string // where it was loaded from

	index map[string]*Step // by id; nil for a Flow built by hand
	pos   map[string]int   // line of each top-level key, for problems
}

// Step returns the step with id, nil if there is none.
func (f *Flow) Step(id string) *Step {
	if f == nil || id == "" {
		return nil
	}
	if f.index != nil {
		return f.index[id]
	}
	for _, s := range f.Steps {
		if s != nil && s.ID == id {
			return s
		}
	}
	return nil
}

// Lang returns the flow's best language for a Telegram language_code: an
// exact match, else the primary subtag ("en-US" -> "en"), else the first
// language, so a customer whose language the flow lacks still gets the
// operator's main one rather than a mix.
func (f *Flow) Lang(tag string) string {
	if f == nil || len(f.Languages) == 0 {
		return ""
	}
	t := strings.ToLower(strings.TrimSpace(tag))
	t = strings.ReplaceAll(t, "_", "-")
	primary, _, _ := strings.Cut(t, "-")
	for _, want := range []string{t, primary} {
		for _, l := range f.Languages {
			if want != "" && l == want {
				return l
			}
		}
	}
	return f.Languages[0]
}

// fallback is the language used when a text lacks the one asked for.
func (f *Flow) fallback() string {
	if len(f.Languages) == 0 {
		return "en"
	}
	return f.Languages[0]
}

// Fits reports whether s is a dialogue state of this very flow and version
// that Advance can continue. A state that does not fit (the flow was edited
// and reloaded, or the state belongs to another flow) must be rebuilt with
// Replay from the stored answers, or the dialogue begun anew.
func (f *Flow) Fits(s State) bool {
	if f == nil || s.Flow != f.ID || s.Version != f.Version {
		return false
	}
	if s.Done {
		return s.Step == ""
	}
	st := f.Step(s.Step)
	return st != nil && st.Kind != KindEnd
}

// Step is one question of a flow, or an end.
type Step struct {
	ID, Kind  string // kinds: text | choice | multi | phone | email | number | end
	Segment   bool   // required segmentation field (choice/multi only)
	Optional  bool   // adds a Skip button / accepts "skip", "-", "пропустить"; not with segment
	Label     string // the field's short name on lead cards and reports; default: the id
	Labels    Text   // the same per team language, from `label: {ru: Бюджет, en: Budget}`; see LabelIn
	Ask       Text   // the question
	Say       Text   // for end steps: the closing message; may use {name} and {expect}
	Options   []*Option
	Min, Max  *float64 // number bounds; for multi: min/max selections; for text: min/max length in runes
	ScoreWhen []Cond   // {if: expr, score: N}
	NextWhen  []Cond   // {if: expr, goto: step}
	Next      string
	// Handoff: reaching this step means the customer wants a person (see
	// Handoff).
	Handoff bool
	Line    int // line in the file, for errors

	pos map[string]int // line of each key of the step, for problems
	// written is the step as the file has it, on a variant's copy of it
	// (see Flow.view); nil on the step itself.
	written *Step
}

// option returns the option with id, nil if none.
func (s *Step) option(id string) *Option {
	for _, o := range s.Options {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// line returns the line of key in the step, or the step's own line, so a
// problem points at the offending key whenever the file has one.
func (s *Step) line(key string) int {
	if l, ok := s.pos[key]; ok {
		return l
	}
	return s.Line
}

// Option is one answer of a choice or multi step.
type Option struct {
	ID   string
	Text Text
	// Aliases are more ways a customer may type this option ("купить",
	// "buy", "да"), matched like the labels; from `aliases:` in the YAML.
	Aliases []string
	Score   int
	Next    string // choice only: where this option leads, before next_when and next
	// Handoff: a customer who picks it wants a person; when the dialogue
	// ends, the lead's conversation opens with the team (see Handoff).
	Handoff bool
	Line    int
}

// Cond is a condition of score_when (with Score) or next_when (with Goto).
// If is an expr-lang expression over the answers; see the package doc.
type Cond struct {
	If    string
	Score int
	Goto  string
	Line  int

	program      *vm.Program // compiled at load; nil means never true
	flat, looped int         // its nodes outside and inside loops, for its cost
}

// LabelIn is the step's label for a team reading lang: from a per-language
// label, else the one label, else "" (the caller makes the id readable).
func (s *Step) LabelIn(lang string) string {
	if l := s.Labels[lang]; l != "" {
		return l
	}
	return s.Label
}
