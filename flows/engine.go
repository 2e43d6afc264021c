package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/voronka/voronka/crm"
)

// State is where one customer's dialogue stands. It is plain data, JSON in
// Redis between updates, and everything in it can be rebuilt from the
// stored answers with Replay, so losing Redis loses nothing.
type State struct {
	Flow     string            `json:"flow"`
	Version  int               `json:"version"`
	Lang     string            `json:"lang"`
	Step     string            `json:"step"` // the step waiting for an answer; "" when Done
	Score    int               `json:"score"`
	Answers  map[string]string `json:"answers,omitempty"`  // step id -> stored value (see crm.Answer.Value)
	Order    []string          `json:"order,omitempty"`    // step ids in the order answered
	Selected []string          `json:"selected,omitempty"` // picks of a multi step not yet confirmed
	Done     bool              `json:"done,omitempty"`
	// Variants are the dialogue's arms of the flow's experiments:
	// experiment id -> variant id (see Flow.Assign). They decide how
	// varied steps are asked; an experiment missing here gets its first
	// variant.
	Variants map[string]string `json:"variants,omitempty"`
}

// Contact is a contact card the customer shared.
type Contact struct {
	Phone  string
	UserID int64
}

// Input is one thing the customer did: typed, pressed a button, or shared
// a contact. When several are set, Button wins over Contact over Text.
type Input struct {
	Text     string   // typed text
	Button   string   // callback data of a pressed inline button
	Contact  *Contact // a shared contact card
	SenderID int64    // who sent it: a shared contact must have UserID == SenderID
	Name     string   // how to address the customer in {name}
}

// Choice is one inline button.
type Choice struct {
	Data, Text string
	Selected   bool // a ticked option of a multi step (Text already has the mark)
}

// Prompt is one message for the customer. The engine never puts inline
// buttons (Choices) and a reply-keyboard change (RequestContact,
// RemoveKeyboard) in one Prompt, because Telegram carries only one kind of
// keyboard per message; when both are needed it sends two prompts.
type Prompt struct {
	Text           string
	Choices        [][]Choice // inline buttons, rows
	RequestContact string     // label of the share-my-contact reply-keyboard button
	RemoveKeyboard bool       // hide a reply keyboard shown before
	Edit           bool       // replace the message whose button was pressed (multi toggles) instead of sending anew
}

// Answered is one answer to store, in the form crm.Answer keeps.
type Answered struct {
	Step, Kind, Value string
	Score             int // what this answer added to the score
}

// Result is what one input did.
type Result struct {
	State       State
	Prompts     []Prompt
	Answer      *Answered       // nil when nothing is to be stored (invalid input, a multi toggle, a stale button)
	Invalid     bool            // input rejected; Prompts hold the hint and the question again; State unchanged
	Finished    bool            // the flow reached an end step with this input
	Temperature crm.Temperature // the temperature of State.Score, always set
	Notice      string          // short text for answering a pressed button's callback, may be ""
	// Overbudget names the conditions that were counted as false because
	// evaluating them would have cost more than their budget (see the
	// package doc), for the caller to log: "file:line: step id: score_when …".
	Overbudget []string
}

// Begin starts a dialogue: the state at the start step and its question.
// lang is the customer's language tag as the client sends it. Every
// experiment of the flow gets its first variant; BeginWith starts a
// dialogue in the customer's own variants.
func Begin(f *Flow, lang string, name string) Result {
	return BeginWith(f, lang, name, nil)
}

// BeginWith is Begin in variants (experiment id -> variant id, as
// Flow.Assign picks them and the lead stores them).
func BeginWith(f *Flow, lang, name string, variants map[string]string) Result {
	if f == nil {
		return Result{Invalid: true}
	}
	s := State{Flow: f.ID, Version: f.Version, Lang: f.Lang(lang), Step: f.Start, Variants: variants}
	st := f.view(variants, f.Start)
	r := Result{State: s, Temperature: f.Thresholds.Temperature(0)}
	switch {
	case st == nil:
		r.Invalid = true
	case st.Kind == KindEnd:
		return turn{f: f, s: s, st: st, lang: s.Lang, name: name}.finish(s, st)
	default:
		r.Prompts = question(f, st, s.Lang, name, nil)
	}
	return r
}

// Ask returns the current question again, for a customer who comes back
// with /start or asks for /help. It is nil for a state that does not fit f.
func Ask(f *Flow, s State, name string) []Prompt {
	if !f.Fits(s) {
		return nil
	}
	lang := f.Lang(s.Lang)
	if s.Done {
		return []Prompt{{Text: f.T("already_done", lang)}}
	}
	return question(f, f.view(s.Variants, s.Step), lang, name, s.Selected)
}

// Advance applies one input to a dialogue. It is pure: the same flow, state
// and input give the same result, nothing is read or written, and s is not
// modified, so the caller stores the result only when it has stored the
// answer. It never panics, whatever the input.
//
// (It is not called Step because the type Step has that name.)
//
// A state that does not fit f (see Flow.Fits) comes back unchanged with
// Invalid set and no prompts: rebuild it with Replay or Begin anew.
func Advance(f *Flow, s State, in Input) Result {
	if f == nil || !f.Fits(s) {
		r := Result{State: s, Invalid: true}
		if f != nil {
			r.Temperature = f.Thresholds.Temperature(s.Score)
		}
		return r
	}
	lang := f.Lang(s.Lang)
	if s.Done {
		r := Result{State: s, Temperature: f.Thresholds.Temperature(s.Score)}
		r.Prompts = []Prompt{{Text: f.T("already_done", lang)}}
		if in.Button != "" {
			r.Notice = f.T("stale_button", lang)
		}
		return r
	}
	t := turn{f: f, s: s, st: f.view(s.Variants, s.Step), lang: lang, name: in.Name}
	switch {
	case in.Button != "":
		return t.button(in.Button)
	case in.Contact != nil:
		return t.contact(*in.Contact, in.SenderID)
	default:
		return t.text(in.Text)
	}
}

// turn is one input being applied to one state.
type turn struct {
	f    *Flow
	s    State
	st   *Step // the step waiting for an answer
	lang string
	name string
}

// answer is an accepted answer before its consequences.
type answer struct {
	value  string  // as stored
	typed  any     // as conditions see it
	score  int     // from options
	option *Option // the picked option of a choice step
	skip   bool
}

func (t turn) unchanged() Result {
	return Result{State: t.s, Temperature: t.f.Thresholds.Temperature(t.s.Score)}
}

// invalid rejects the input: the hint, then the question again, in one
// message so the customer sees why next to what to do.
func (t turn) invalid(hintKey string, vars ...string) Result {
	r := t.unchanged()
	r.Invalid = true
	r.Prompts = question(t.f, t.st, t.lang, t.name, t.s.Selected)
	hint := fill(t.f.T(hintKey, t.lang), t.name, vars...)
	r.Prompts[0].Text = hint + "\n\n" + r.Prompts[0].Text
	return r
}

func hintKey(kind string) string {
	switch kind {
	case KindChoice:
		return "invalid_choice"
	case KindMulti:
		return "invalid_multi"
	case KindPhone:
		return "invalid_phone"
	case KindEmail:
		return "invalid_email"
	case KindNumber:
		return "invalid_number"
	default:
		return "invalid_text"
	}
}

// stale answers a button of another question: nothing changes, and the
// customer is reminded what is asked now.
func (t turn) stale() Result {
	r := t.unchanged()
	r.Notice = t.f.T("stale_button", t.lang)
	r.Prompts = question(t.f, t.st, t.lang, t.name, t.s.Selected)
	return r
}

func (t turn) button(data string) Result {
	stepID, rest, ok := strings.Cut(data, ":")
	if !ok || stepID != t.st.ID {
		return t.stale()
	}
	switch {
	case rest == "!skip" && t.st.Optional:
		return t.echo(data, t.commit(answer{skip: true}))
	case rest == "!done" && t.st.Kind == KindMulti:
		return t.echo(data, t.confirm(t.s.Selected))
	case t.st.Kind == KindChoice:
		if o := t.st.option(rest); o != nil {
			return t.echo(data, t.commit(answer{value: o.ID, typed: o.ID, score: o.Score, option: o}))
		}
	case t.st.Kind == KindMulti:
		if o := t.st.option(rest); o != nil {
			return t.toggle(o)
		}
	}
	return t.invalid(hintKey(t.st.Kind))
}

// echo puts what a pressed button chose into the message that carried it,
// which loses its buttons, so the chat shows the answer where the
// question was («Что вас интересует?» then «✅ Хочу купить»), before the
// next question. A rejected press is not echoed.
func (t turn) echo(data string, r Result) Result {
	if r.Invalid || r.Answer == nil {
		return r
	}
	asked := ""
	for _, p := range question(t.f, t.st, t.lang, t.name, t.s.Selected) {
		for _, row := range p.Choices {
			for _, c := range row {
				if c.Data == data {
					asked = p.Text
				}
			}
		}
	}
	if asked == "" {
		return r
	}
	chosen := "✅ " + t.f.AnswerText(t.st, r.Answer.Value, t.lang)
	if r.Answer.Value == "" {
		chosen = "— " + t.f.T("skipped", t.lang)
	}
	r.Prompts = append([]Prompt{{Text: asked + "\n\n" + chosen, Edit: true}}, r.Prompts...)
	return r
}

// AnswerText is a stored answer of st as the customer reads it in lang:
// a choice's label, a multi's labels joined by ", ", anything else as
// stored.
func (f *Flow) AnswerText(st *Step, value, lang string) string {
	if st == nil || (st.Kind != KindChoice && st.Kind != KindMulti) {
		return value
	}
	var out []string
	for _, id := range strings.Split(value, ",") {
		if o := st.option(id); o != nil {
			out = append(out, o.Text.in(lang, f.fallback()))
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}

func (t turn) contact(c Contact, sender int64) Result {
	if t.st.Kind != KindPhone {
		return t.invalid(hintKey(t.st.Kind))
	}
	if c.UserID != sender {
		return t.invalid("foreign_contact")
	}
	phone, ok := parseContactPhone(c.Phone, t.f.PhoneRegion)
	if !ok {
		return t.invalid("invalid_phone")
	}
	return t.commit(answer{value: phone, typed: phone})
}

func (t turn) text(raw string) Result {
	text := cleanText(raw)
	if text == "" {
		return t.invalid(hintKey(t.st.Kind))
	}
	if t.st.Optional && t.isSkip(text) {
		return t.commit(answer{skip: true})
	}
	switch t.st.Kind {
	case KindChoice:
		if o := matchOption(t.st, text); o != nil {
			return t.commit(answer{value: o.ID, typed: o.ID, score: o.Score, option: o})
		}
	case KindMulti:
		if t.isWord(text, "done", "done", "готово") {
			return t.confirm(t.s.Selected)
		}
		if picks, ok := parsePicks(t.st, text); ok {
			return t.confirm(picks)
		}
	case KindPhone:
		if phone, ok := findPhone(text, t.f.PhoneRegion); ok {
			return t.commit(answer{value: phone, typed: phone})
		}
	case KindEmail:
		if email, ok := parseEmail(text); ok {
			return t.commit(answer{value: email, typed: email})
		}
	case KindNumber:
		v, ok := parseNumber(text)
		switch {
		case !ok:
		case t.st.Min != nil && v < *t.st.Min:
			return t.invalid("number_too_small", "{min}", formatNumber(*t.st.Min))
		case t.st.Max != nil && v > *t.st.Max:
			return t.invalid("number_too_large", "{max}", formatNumber(*t.st.Max))
		default:
			return t.commit(answer{value: formatNumber(v), typed: v})
		}
	case KindText:
		n := len([]rune(text))
		switch {
		case t.st.Min != nil && float64(n) < *t.st.Min:
			return t.invalid("text_too_short", "{min}", formatNumber(*t.st.Min))
		case t.st.Max != nil && float64(n) > *t.st.Max:
			return t.invalid("text_too_long", "{max}", formatNumber(*t.st.Max))
		default:
			return t.commit(answer{value: text, typed: text})
		}
	}
	return t.invalid(hintKey(t.st.Kind))
}

// isSkip recognises a typed skip: the Skip button's label, "skip",
// "пропустить", or a dash, which is how people leave a form field empty.
func (t turn) isSkip(text string) bool {
	switch text {
	case "-", "–", "—", "--":
		return true
	}
	return t.isWord(text, "skip", "skip", "пропустить")
}

// isWord reports whether text is the button label of key in the customer's
// language or one of words, ignoring case, punctuation and emoji.
func (t turn) isWord(text, key string, words ...string) bool {
	n := normalise(text)
	if n == "" {
		return false
	}
	if n == normalise(t.f.T(key, t.lang)) {
		return true
	}
	return contains(words, n)
}

// toggle ticks or unticks an option of a multi step. Nothing is stored
// until Done; the message is edited in place so the ticks move under the
// customer's finger instead of a new message per press.
func (t turn) toggle(o *Option) Result {
	picked := slices.Contains(t.s.Selected, o.ID)
	var sel []string
	for _, opt := range t.st.writtenOrder() { // option order, whatever the press order
		on := slices.Contains(t.s.Selected, opt.ID)
		if opt == o {
			on = !picked
		}
		if on {
			sel = append(sel, opt.ID)
		}
	}
	r := t.unchanged()
	r.State.Selected = sel
	r.Prompts = question(t.f, t.st, t.lang, t.name, sel)
	r.Prompts[0].Edit = true
	return r
}

// confirm answers a multi step with picks (option ids, any order).
func (t turn) confirm(picks []string) Result {
	var ids []string
	score := 0
	for _, o := range t.st.writtenOrder() {
		if slices.Contains(picks, o.ID) {
			ids = append(ids, o.ID)
			score += o.Score
		}
	}
	lo, hi := 1, len(t.st.Options)
	if t.st.Min != nil {
		lo = int(*t.st.Min)
	}
	if t.st.Max != nil {
		hi = int(*t.st.Max)
	}
	if len(ids) == 0 || len(ids) < lo || len(ids) > hi {
		return t.invalid("invalid_multi", "{min}", formatNumber(float64(lo)), "{max}", formatNumber(float64(hi)))
	}
	return t.commit(answer{value: strings.Join(ids, ","), typed: ids, score: score})
}

// commit records an accepted answer, scores it and moves on.
func (t turn) commit(a answer) Result {
	f, s, st := t.f, t.s, t.st
	env, all := answersEnv(f, s.Answers)
	env["value"] = nil
	if !a.skip {
		v := capText(a.typed)
		env[st.ID], all[st.ID], env["value"] = v, v, v
	}
	var over []string
	var size *condSize // measured once, when a condition needs it
	holds := func(c *Cond, what string) bool {
		if size == nil {
			z := measure(env)
			size = &z
		}
		ok, exhausted := c.eval(env, *size)
		if exhausted {
			over = append(over, Problem{File: f.File, Line: c.Line, Step: st.ID, Msg: fmt.Sprintf("%s %q: over its budget, counted as false", what, c.If)}.String())
		}
		return ok
	}
	added := a.score
	if !a.skip {
		env["score"] = s.Score + a.score
		for i := range st.ScoreWhen {
			if c := &st.ScoreWhen[i]; holds(c, "score_when") {
				added += c.Score
			}
		}
	}
	ns := State{
		Flow:    s.Flow,
		Version: s.Version,
		Lang:    s.Lang,
		Score:   s.Score + added,
		Answers: maps.Clone(s.Answers),
		Order:   append(slices.Clip(slices.Clone(s.Order)), st.ID),
		// Shared, never written: a State's maps are replaced, not changed.
		Variants: s.Variants,
	}
	if ns.Answers == nil {
		ns.Answers = map[string]string{}
	}
	ns.Answers[st.ID] = a.value
	env["score"] = ns.Score

	next := st.Next
	if a.option != nil && a.option.Next != "" {
		next = a.option.Next
	} else {
		for i := range st.NextWhen {
			if c := &st.NextWhen[i]; holds(c, "next_when") {
				next = c.Goto
				break
			}
		}
	}

	var r Result
	nx := f.view(s.Variants, next)
	if nx == nil || nx.Kind == KindEnd {
		r = t.finish(ns, nx)
	} else {
		ns.Step = nx.ID
		r = Result{State: ns, Temperature: f.Thresholds.Temperature(ns.Score)}
		r.Prompts = question(f, nx, t.lang, t.name, nil)
		if st.Kind == KindPhone && nx.Kind != KindPhone {
			r.Prompts = t.closeKeyboard(r.Prompts)
		}
	}
	r.Answer = &Answered{Step: st.ID, Kind: st.Kind, Value: a.value, Score: added}
	r.Overbudget = over
	return r
}

// closeKeyboard hides the share-contact keyboard once the phone step is
// behind: on the next question itself, or, when that question has inline
// buttons, on a short thank-you before it.
func (t turn) closeKeyboard(ps []Prompt) []Prompt {
	if len(ps[0].Choices) == 0 {
		ps[0].RemoveKeyboard = true
		return ps
	}
	return append([]Prompt{{Text: t.f.T("thanks", t.lang), RemoveKeyboard: true}}, ps...)
}

// finish ends the dialogue at end (nil only for a hand-built flow whose
// next step is missing: it then ends without a closing message).
func (t turn) finish(s State, end *Step) Result {
	s.Step, s.Done, s.Selected = "", true, nil
	temp := t.f.Thresholds.Temperature(s.Score)
	r := Result{State: s, Finished: true, Temperature: temp}
	if end != nil {
		text := fill(end.Say.in(t.lang, t.f.fallback()), t.name, "{expect}", t.f.ExpectPhrase(temp, t.lang))
		r.Prompts = []Prompt{{Text: text, RemoveKeyboard: true}}
	}
	return r
}

// question renders the prompts that ask st. selected are the ticked
// options of a multi step.
func question(f *Flow, st *Step, lang, name string, selected []string) []Prompt {
	fb := f.fallback()
	p := Prompt{Text: fill(st.Ask.in(lang, fb), name)}
	switch st.Kind {
	case KindChoice:
		for _, o := range st.Options {
			p.Choices = append(p.Choices, []Choice{{Data: st.ID + ":" + o.ID, Text: o.Text.in(lang, fb)}})
		}
	case KindMulti:
		for _, o := range st.Options {
			c := Choice{Data: st.ID + ":" + o.ID, Text: o.Text.in(lang, fb)}
			if slices.Contains(selected, o.ID) {
				c.Text, c.Selected = "✅ "+c.Text, true
			}
			p.Choices = append(p.Choices, []Choice{c})
		}
		p.Choices = append(p.Choices, []Choice{{Data: st.ID + ":!done", Text: f.T("done", lang)}})
	case KindPhone:
		p.RequestContact = f.T("share_contact", lang)
	}
	if st.Optional {
		skip := []Choice{{Data: st.ID + ":!skip", Text: f.T("skip", lang)}}
		if st.Kind == KindPhone { // the contact keyboard and an inline button need two messages
			return []Prompt{p, {Text: f.T("skip_prompt", lang), Choices: [][]Choice{skip}}}
		}
		p.Choices = append(p.Choices, skip)
	}
	return []Prompt{p}
}
