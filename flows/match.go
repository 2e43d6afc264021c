package flows

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalise reduces a typed text or a label to lowercase words, so that
// "купить", "Купить!" and "🚀 Купить" are one answer; "ё" is read as "е",
// as most Russians type it.
func normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == 'ё' || r == 'Ё':
			return 'е'
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return unicode.ToLower(r)
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// matchOption finds the option a customer typed. In order:
//
//  1. its label in any of the flow's languages (people answer in the
//     language they think in, not the one Telegram reports) or one of its
//     aliases, ignoring case, punctuation and emoji;
//  2. its id, or its number in the list;
//  3. the words (wordScore): a typed word that is a word of a label or
//     alias, its beginning ("цен" for «Узнать цены») or the same word in
//     another ending («цена», «неделя» for «На этой неделе») counts; the
//     option with the most wins if no other has as many and a word of 3
//     letters or more counted.
//
// Labels come first so an option labelled "1" is not mistaken for the
// first option, and a label that is a word of another («Я» beside «Я влияю
// на решение») is still reachable by typing it.
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
		for _, a := range o.Aliases {
			if normalise(a) == n {
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
	typed := strings.Fields(n)
	if len(typed) > 30 { // a letter, not an answer
		return nil
	}
	var best *Option
	bestScore, tie := 0, false
	for _, o := range st.Options {
		s := wordScore(o, typed)
		switch {
		case s > bestScore:
			best, bestScore, tie = o, s, false
		case s == bestScore && s > 0:
			tie = true
		}
	}
	if tie || bestScore < 2 {
		return nil
	}
	return best
}

// wordScore counts how well typed words name option o (see matchOption)
// against the words of all its labels and aliases, each typed word counted
// once: a word of 3 letters or more counts 3 when it is a label's word and
// 2 when it is its beginning or another ending of it, a shorter one 1.
// Under 2 means no word of 3 letters or more matched.
func wordScore(o *Option, typed []string) int {
	var words []string
	for _, l := range o.Text {
		words = append(words, strings.Fields(normalise(l))...)
	}
	for _, a := range o.Aliases {
		words = append(words, strings.Fields(normalise(a))...)
	}
	s, long := 0, false
	for _, t := range typed {
		best := 0
		for _, w := range words {
			switch {
			case t == w && utf8.RuneCountInString(t) >= 3:
				best = 3
			case t == w:
				best = max(best, 1)
			case sameWord(t, w):
				best = max(best, 2)
			}
		}
		s += best
		long = long || best >= 2
	}
	if !long {
		return 0
	}
	return s
}

// sameWord reports whether the typed word t names the label's word w: the
// same word, its beginning of 3 letters or more, or, for words of 4 letters
// or more, the same stem with another ending of up to 2 letters («цена» and
// «цены», «неделя» and «неделе», "price" and "pricing").
func sameWord(t, w string) bool {
	if t == w {
		return true
	}
	tr, wr := []rune(t), []rune(w)
	if len(tr) < 3 {
		return false
	}
	common := 0
	for common < len(tr) && common < len(wr) && tr[common] == wr[common] {
		common++
	}
	if common == len(tr) { // a beginning of w
		return true
	}
	shorter := min(len(tr), len(wr))
	return shorter >= 4 && common >= 3 && common >= shorter-2
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
