package flows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTypedAnswersAsPeopleTypeThem: real phrasings of the default flow's
// options in both languages, and what must stay refused.
func TestTypedAnswersAsPeopleTypeThem(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	for _, c := range []struct {
		step, typed, want string // want "" = refused
	}{
		{"need", "Хочу купить", "buy"},
		{"need", "купить", "buy"},
		{"need", "Купить!", "buy"},
		{"need", "хочу купить, срочно", "buy"},
		{"need", "купить хочу", "buy"},
		{"need", "цены", "pricing"},
		{"need", "цена", "pricing"},
		{"need", "узнать цену", "pricing"},
		{"need", "какие у вас цены?", "pricing"},
		{"need", "партнерство", "partnership"},
		{"need", "нужна поддержка", "support"},
		{"need", "1", "buy"},
		{"need", "buy", "buy"},
		{"need", "I want to buy", "buy"},
		{"need", "price", "pricing"},
		{"need", "Support please", "support"},
		{"need", "не знаю", ""},
		{"need", "да", ""},
		{"need", "ку", ""},
		{"timeline", "на этой неделе", "week"},
		{"timeline", "эта неделя", "week"},
		{"timeline", "неделя", "week"},
		{"timeline", "в течение месяца", "month"},
		{"timeline", "в этом квартале", "quarter"},
		{"timeline", "присматриваюсь", "looking"},
		{"timeline", "пока просто смотрю", "looking"},
		{"timeline", "не знаю", ""},
		{"timeline", "this week", "week"},
		{"timeline", "just looking", "looking"},
		{"timeline", "in a month", "month"},
		{"timeline", "в этом", ""}, // месяце or квартале: ambiguous
		{"role", "я", "decision_maker"},
		{"role", "Я сам решаю", "decision_maker"},
		{"role", "сама", "decision_maker"},
		{"role", "влияю", "influencer"},
		{"role", "я тут собираю инфу", "researcher"},
		{"role", "I decide", "decision_maker"},
		{"role", "gathering info", "researcher"},
		{"company_size", "только я", "solo"},
		{"company_size", "я один", "solo"},
		{"company_size", "больше ста", "large"},
		{"company_size", "2-10", "small"},
		{"company_size", "11 - 100", "medium"},
	} {
		st := f.Step(c.step)
		require.NotNil(t, st, c.step)
		got := ""
		if o := matchOption(st, c.typed); o != nil {
			got = o.ID
		}
		assert.Equal(t, c.want, got, "%s: %q", c.step, c.typed)
	}
}

// TestPhoneInsideASentence: a number typed among words is found; words
// alone, or too few digits, are not a phone.
func TestPhoneInsideASentence(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ typed, want string }{
		{"мой номер 8 916 000 11 22", "+79160001122"},
		{"Мой номер: +7 (916) 123-45-67, звоните после обеда", "+79161234567"},
		{"звоните после 18 8 916 123 45 67", "+79161234567"},
		{"тел. 89161234567.", "+79161234567"},
		{"my number is +44 20 7946 0958", "+442079460958"},
		{"8-916-123-45-67", "+79161234567"},
		{"позвоните мне", ""},
		{"мне 25 лет", ""},
		{"1-800-FLOWERS", ""},
	} {
		got, ok := findPhone(c.typed, "RU")
		if c.want == "" {
			assert.False(t, ok, "%q found %q", c.typed, got)
			continue
		}
		assert.True(t, ok, c.typed)
		assert.Equal(t, c.want, got, c.typed)
	}
}

// TestAliasLint: an alias that names another option is refused.
func TestAliasLint(t *testing.T) {
	t.Parallel()
	_, err := Parse("a.yaml", []byte(`id: a
version: 1
languages: [ru]
thresholds: {hot: 2, warm: 1}
steps:
  - id: pick
    kind: choice
    ask: {ru: "Что?"}
    options:
      - {id: a, text: {ru: "Купить"}, aliases: ["хочу"]}
      - {id: b, text: {ru: "Цена"}, aliases: ["купить"]}
    next: done
  - {id: done, kind: end, say: {ru: Пока}}
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `option "b": alias "купить" already names option "a"`)
}
