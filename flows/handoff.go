package flows

// Handoff reports whether a dialogue in state s asked for a person: it
// answered a step marked `handoff: true` or picked an option so marked.
// what is the text, in lang, of the first such option (the step's label
// for a step), for the team to read. It reads only the stored answers, so
// a dialogue rebuilt from PostgreSQL says the same.
func Handoff(f *Flow, s State, lang string) (what string, ok bool) {
	if f == nil {
		return "", false
	}
	for _, id := range s.Order {
		st := f.Step(id)
		if st == nil {
			continue
		}
		if st.Handoff {
			return st.Label, true
		}
		if o := st.option(s.Answers[id]); o != nil && o.Handoff {
			return o.Text.in(lang, f.fallback()), true
		}
	}
	return "", false
}
