package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/voronka/voronka/crm"
)

// Replay rebuilds a dialogue's state from its stored answers, in the order
// given, for when the live state is gone (Redis lost it) or stale (the flow
// was reloaded). Each answer goes through the same scoring and branching as
// when it was given, so for an unchanged flow the state is the one Advance
// left; an answer that no longer fits (a step that is not next, an option
// that is gone, a score the flow now computes differently) is an error with
// code crm.ECONFLICT, and the caller should start the dialogue anew.
func Replay(f *Flow, lang string, answers []crm.Answer) (State, error) {
	return ReplayWith(f, lang, nil, answers)
}

// ReplayWith is Replay in the lead's variants (experiment id -> variant
// id, as stored on the lead), so a varied step is checked against the
// options its variant showed.
func ReplayWith(f *Flow, lang string, variants map[string]string, answers []crm.Answer) (State, error) {
	if f == nil {
		return State{}, crm.Errorf(crm.EINVALID, "replay: no flow")
	}
	r := BeginWith(f, lang, "", variants)
	if r.Invalid {
		return State{}, crm.Errorf(crm.EINVALID, "replay: flow %s has no start step", f.ID)
	}
	s := r.State
	for i, a := range answers {
		fail := func(format string, args ...any) (State, error) {
			return State{}, crm.Errorf(crm.ECONFLICT, "flow %s v%d, answer %d (step %q): %s",
				f.ID, f.Version, i+1, a.StepID, fmt.Sprintf(format, args...))
		}
		if s.Done {
			return fail("the dialogue had already finished")
		}
		if a.StepID != s.Step {
			return fail("the flow asks %q at this point", s.Step)
		}
		st := f.view(s.Variants, s.Step)
		if a.Kind != "" && a.Kind != st.Kind {
			return fail("stored as %s, but the step is now %s", a.Kind, st.Kind)
		}
		ans, ok := stored(f, st, a.Value)
		if !ok {
			return fail("%q is not a valid %s answer any more", a.Value, st.Kind)
		}
		res := turn{f: f, s: s, st: st, lang: s.Lang}.commit(ans)
		if res.Answer.Score != a.Score {
			return fail("scored %d when given, the flow now gives %d", a.Score, res.Answer.Score)
		}
		s = res.State
	}
	return s, nil
}

// stored reads an answer in its stored form back, checking it against the
// step as it is now.
func stored(f *Flow, st *Step, value string) (answer, bool) {
	if value == "" {
		return answer{skip: true}, st.Optional
	}
	switch st.Kind {
	case KindChoice:
		o := st.option(value)
		if o == nil {
			return answer{}, false
		}
		return answer{value: o.ID, typed: o.ID, score: o.Score, option: o}, true
	case KindMulti:
		picks := strings.Split(value, ",")
		var ids []string
		score := 0
		for _, o := range st.writtenOrder() {
			if slices.Contains(picks, o.ID) {
				ids = append(ids, o.ID)
				score += o.Score
			}
		}
		lo, hi := 1, len(st.Options)
		if st.Min != nil {
			lo = int(*st.Min)
		}
		if st.Max != nil {
			hi = int(*st.Max)
		}
		if len(ids) != len(picks) || len(ids) < lo || len(ids) > hi {
			return answer{}, false // an unknown or repeated id, or a count out of bounds
		}
		return answer{value: strings.Join(ids, ","), typed: ids, score: score}, true
	case KindNumber:
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || formatNumber(v) != value ||
			(st.Min != nil && v < *st.Min) || (st.Max != nil && v > *st.Max) {
			return answer{}, false
		}
		return answer{value: value, typed: v}, true
	case KindPhone:
		phone, ok := parseContactPhone(value, f.PhoneRegion)
		return answer{value: value, typed: value}, ok && phone == value
	case KindEmail:
		email, ok := parseEmail(value)
		return answer{value: value, typed: value}, ok && email == value
	case KindText:
		n := float64(len([]rune(value)))
		ok := cleanText(value) == value && (st.Min == nil || n >= *st.Min) && (st.Max == nil || n <= *st.Max)
		return answer{value: value, typed: value}, ok
	}
	return answer{}, false
}
