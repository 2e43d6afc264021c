package flows

import (
	"strconv"
	"strings"
	"unicode"
)

// normalise reduces a typed text or a label to lowercase words, so that
// "купить", "Купить!" and "🚀 Купить" are one answer.
func normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// matchOption finds the option a customer typed: its label in any of the
// flow's languages (people answer in the language they think in, not the
// one Telegram reports), its id, or its number in the list. Labels come
// first so an option labelled "1" is not mistaken for the first option.
func matchOption(st *Step, text string) *Option {
	n := normalise(text)
	if n == "" {
		return nil
	}
	for _, o := range st.Options {
		for _, label := range o.Text {
			if normalise(label) == n {
				return o
			}
		}
	}
	for _, o := range st.Options {
		if strings.EqualFold(o.ID, strings.TrimSpace(text)) {
			return o
		}
	}
	if i, err := strconv.Atoi(strings.TrimRight(strings.TrimSpace(text), ".)")); err == nil && i >= 1 && i <= len(st.Options) {
		return st.Options[i-1]
	}
	return nil
}

// parsePicks reads a typed multi answer: numbers or labels separated by
// commas, semicolons or new lines ("1, 3", "CRM; Analytics"), or numbers
// separated by spaces ("1 3"). Every item must match, or none is taken.
func parsePicks(st *Step, text string) ([]string, bool) {
	items := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
	if len(items) == 1 && matchOption(st, items[0]) == nil {
		items = strings.Fields(items[0])
		for _, it := range items {
			if _, err := strconv.Atoi(it); err != nil {
				return nil, false
			}
		}
	}
	if len(items) == 0 || len(items) > 2*len(st.Options)+2 {
		return nil, false
	}
	var ids []string
	for _, it := range items {
		if strings.TrimSpace(it) == "" {
			continue
		}
		o := matchOption(st, it)
		if o == nil {
			return nil, false
		}
		ids = append(ids, o.ID)
	}
	return ids, len(ids) > 0
}
