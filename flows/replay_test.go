package flows

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

// stored turns a dialogue's answers into what the store keeps.
func storedAnswers(rs []Result) []crm.Answer {
	var out []crm.Answer
	for _, r := range rs {
		if r.Answer != nil {
			out = append(out, crm.Answer{StepID: r.Answer.Step, Kind: r.Answer.Kind, Value: r.Answer.Value, Score: r.Answer.Score})
		}
	}
	return out
}

func TestReplayReproducesEveryState(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	dialogues := map[string][]Input{
		"hot": {{Button: "need:buy"}, {Text: "1,5 млн"}, {Text: "1"}, {Button: "role:decision_maker"},
			{Button: "company_size:!skip"}, {Contact: &Contact{Phone: "79161234567", UserID: 1}, SenderID: 1}, {Text: "Звоните 📞"}},
		"cold":    {{Text: "Pricing"}, {Text: "-"}, {Text: "just looking"}, {Text: "3"}, {Text: "2–10"}, {Text: "a@b.io"}, {Button: "comment:!skip"}},
		"support": {{Button: "need:support"}, {Text: "Не работает экспорт"}, {Text: "x@y.ru"}},
		"half":    {{Button: "need:buy"}, {Text: "300k"}},
	}
	for name, inputs := range dialogues {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rs := dialogue(t, f, "ru", "", inputs...)
			answers := storedAnswers(rs)
			require.Len(t, answers, len(inputs))
			for i := range rs {
				s, err := Replay(f, "ru", answers[:i])
				require.NoError(t, err)
				assert.Equal(t, rs[i].State, s, "after %d answers", i)
			}
		})
	}

	g := mustParse(t, everyKind)
	rs := dialogue(t, g, "en", "", Input{Text: "banana"}, Input{Text: "4, 1"}, Input{Text: "+7 916 123 45 67"},
		Input{Text: "a@b.io"}, Input{Text: "12,5"}, Input{Text: "ok!"})
	s, err := Replay(g, "en", storedAnswers(rs))
	require.NoError(t, err)
	assert.Equal(t, last(rs).State, s)
	assert.True(t, s.Done)
}

func TestReplayRejectsAnswersThatDoNotFit(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	good := []crm.Answer{
		{StepID: "need", Kind: "choice", Value: "buy", Score: 30},
		{StepID: "budget", Kind: "number", Value: "1500000", Score: 30},
	}
	_, err := Replay(f, "ru", good)
	require.NoError(t, err)

	tests := map[string]struct {
		change func(a []crm.Answer)
		want   string
	}{
		"another step":      {func(a []crm.Answer) { a[1].StepID = "timeline" }, `the flow asks "budget"`},
		"an option gone":    {func(a []crm.Answer) { a[0].Value = "rent" }, `"rent" is not a valid choice answer`},
		"another kind":      {func(a []crm.Answer) { a[1].Kind = "text" }, "stored as text, but the step is now number"},
		"score changed":     {func(a []crm.Answer) { a[1].Score = 20 }, "scored 20 when given, the flow now gives 30"},
		"required left out": {func(a []crm.Answer) { a[0].Value = "" }, `"" is not a valid choice answer`},
		"not a number":      {func(a []crm.Answer) { a[1].Value = "1.5m" }, `"1.5m" is not a valid number answer`},
		"not normalised":    {func(a []crm.Answer) { a[1].Value = "1500000.0" }, "not a valid number answer"},
		"below the minimum": {func(a []crm.Answer) { a[1].Value = "-1" }, "not a valid number answer"},
	}
	for name, tt := range tests {
		answers := append([]crm.Answer(nil), good...)
		tt.change(answers)
		_, err := Replay(f, "ru", answers)
		require.Error(t, err, name)
		assert.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), name)
		assert.Contains(t, err.Error(), tt.want, name)
	}

	support := []crm.Answer{
		{StepID: "need", Kind: "choice", Value: "support"},
		{StepID: "issue", Kind: "text", Value: "help"},
		{StepID: "support_email", Kind: "email", Value: "a@b.io"},
		{StepID: "comment", Kind: "text", Value: "more"},
	}
	_, err = Replay(f, "ru", support)
	assert.ErrorContains(t, err, "the dialogue had already finished")

	_, err = Replay(nil, "ru", nil)
	assert.Equal(t, crm.EINVALID, crm.ErrorCode(err))
}

func TestReplayAfterScoringChanged(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	rs := dialogue(t, f, "en", "", Input{Button: "need:buy"})
	data, err := readQualify()
	require.NoError(t, err)
	changed := strings.Replace(data, "text: {ru: \"Хочу купить\", en: \"I want to buy\"}, score: 30", "text: {ru: \"Хочу купить\", en: \"I want to buy\"}, score: 40", 1)
	require.NotEqual(t, data, changed)
	g := mustParse(t, strings.Replace(changed, "version: 1", "version: 2", 1))
	_, err = Replay(g, "en", storedAnswers(rs))
	assert.ErrorContains(t, err, "scored 30 when given, the flow now gives 40")
}

func readQualify() (string, error) {
	b, err := os.ReadFile("../configs/flows/qualify.yaml")
	return string(b), err
}
