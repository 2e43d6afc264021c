package flows

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// condFlow is a flow whose text step "note" has one score_when condition
// (on line 16), after a multi step "need" and a number step "budget".
func condFlow(cond string) string {
	return `id: limits
version: 1
languages: [en]
thresholds: {hot: 2, warm: 1}
steps:
  - id: need
    kind: multi
    ask: {en: "Need?"}
    options: [{id: buy, text: {en: Buy}}, {id: rent, text: {en: Rent}}, {id: look, text: {en: Look}}]
    next: budget
  - {id: budget, kind: number, ask: {en: "Budget?"}, next: note}
  - id: note
    kind: text
    ask: {en: "Anything else?"}
    score_when:
      - {if: '` + strings.ReplaceAll(cond, "'", "''") + `', score: 5}
    next: done
  - {id: done, kind: end, say: {en: Bye}}
`
}

// TestCostlyConditionsAreRefused: a condition that could build a value
// bigger than the answers it reads, or loop within a loop, is a lint
// problem on its line.
func TestCostlyConditionsAreRefused(t *testing.T) {
	t.Parallel()
	for cond, want := range map[string]string{
		`len(repeat(value, 1000000)) > 0`:              "function repeat is not allowed in conditions",
		`reduce(1..20, #acc + #acc, value) != ""`:      "function reduce is not allowed",
		`len(1..1000000) > 0`:                          "ranges (a..b) are not allowed",
		`1000000 in 1..1000000`:                        "ranges (a..b) are not allowed",
		`len(value + value + value) > 0`:               "+ is only for numbers",
		`len(answers.note + value) > 0`:                "+ is only for numbers",
		`len(map(need, # + "x")) > 0`:                  "function map is not allowed",
		`len(join(need, value)) > 0`:                   "function join is not allowed",
		`len(split(value, "")) > 10`:                   "function split is not allowed",
		`len(replace(value, "a", value)) > 0`:          "function replace is not allowed",
		`toJSON(answers) != ""`:                        "function toJSON is not allowed",
		`string(answers) != ""`:                        "function string is not allowed",
		`len(sortBy(need, #)) > 0`:                     "function sortBy is not allowed",
		`any(need, any(need, # == "buy"))`:             "any inside a loop",
		`count(need, all(keys(answers), # != "")) > 0`: "all inside a loop",
		`value matches value`:                          "matches needs a fixed pattern",
		`value matches ("a" + "b")`:                    "matches needs a fixed pattern",
		strings.Repeat(`score > 1 || `, 40) + `true`:   "exceeds maximum allowed nodes",
	} {
		t.Run(cond, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("limits.yaml", []byte(condFlow(cond)))
			var ps Problems
			require.True(t, errors.As(err, &ps), "%q passed lint", cond)
			require.Len(t, ps, 1, "%v", err)
			assert.Equal(t, 16, ps[0].Line)
			assert.Equal(t, "note", ps[0].Step)
			assert.Contains(t, ps[0].Msg, want)
			assert.True(t, strings.HasPrefix(ps[0].String(), "limits.yaml:16: step note: score_when "), ps[0].String())
		})
	}
}

// heavyConds are the most expensive conditions lint allows that we could
// think of: every one touches the whole answer several times.
var heavyConds = []string{
	`lower(value) contains upper(trim(value)) && indexOf(lower(value), "zz") >= 0`,
	`any(need, lower(value) contains upper(#) || hasSuffix(upper(value), #) || lastIndexOf(lower(value), #) > 0)`,
	`count(keys(answers), lower(value) contains #) + len(filter(values(answers), # == upper(value))) > 0`,
	`value matches "^(a|b)*c$" || value[0:len(value) - 1] contains lower(value) || len(value) > 4000`,
	`budget + score * 2 > 100 && "buy" in need && (answers?.note ?? "") startsWith upper(value)`,
}

// TestAllowedConditionsOnALongAnswerStayCheap: conditions on a 5,000
// character answer either run in their budget, which bounds their work,
// or count as false; a run allocates well under 50 MB.
func TestAllowedConditionsOnALongAnswerStayCheap(t *testing.T) {
	long := strings.Repeat("ab\u044f", 5000/3+1)[:5000] // ASCII and Cyrillic
	for _, cond := range heavyConds {
		f := mustParse(t, condFlow(cond))
		s := at(f, "note")
		s.Answers = map[string]string{"need": "buy,rent", "budget": "1000"}
		r := Advance(f, s, Input{Text: long})
		require.False(t, r.Invalid)
		assert.Empty(t, r.Overbudget, cond)

		// The work is bounded by the budget: the estimate of this run.
		c := &f.Step("note").ScoreWhen[0]
		env, all := answersEnv(f, s.Answers)
		v := capText(cleanText(long))
		env["note"], all["note"], env["value"], env["score"] = v, v, v, 0
		assert.LessOrEqual(t, c.cost(measure(env)), condCostBudget, cond)

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			Advance(f, s, Input{Text: long})
		}
		runtime.ReadMemStats(&after)
		perRun := (after.TotalAlloc - before.TotalAlloc) / 10
		assert.Less(t, perRun, uint64(5<<20), "%s: %d bytes a run", cond, perRun)
	}
}

// TestConditionsSeeAtMostATelegramMessage: a longer text answer is stored
// whole, but conditions see its first maxCondText runes.
func TestConditionsSeeAtMostATelegramMessage(t *testing.T) {
	t.Parallel()
	f := mustParse(t, condFlow(`len(value) == 4096 && len(note) == 4096 && len(answers.note) == 4096`))
	long := strings.Repeat("я", 5000)
	r := Advance(f, at(f, "note"), Input{Text: long})
	require.NotNil(t, r.Answer)
	assert.Equal(t, long, r.Answer.Value)
	assert.Equal(t, 5, r.Answer.Score)
}

// TestConditionOverBudgetCountsFalse: a loop over thousands of long
// answers is over the cost budget; it counts as false, and the result
// says which condition it was, for the dispatcher to log.
func TestConditionOverBudgetCountsFalse(t *testing.T) {
	t.Parallel()
	const n = 2000
	var b strings.Builder
	b.WriteString("id: many\nversion: 1\nlanguages: [en]\nthresholds: {hot: 2, warm: 1}\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: t%d, kind: text, ask: {en: Q}, next: t%d}\n", i, i+1)
	}
	fmt.Fprintf(&b, "  - id: t%d\n    kind: text\n    ask: {en: Q}\n", n)
	b.WriteString(`    score_when: [{if: 'any(values(answers), # contains value && # contains "a" && # contains "b" && # contains "c")', score: 5}]` + "\n")
	b.WriteString("    next: done\n  - {id: done, kind: end, say: {en: Bye}}\n")
	f := mustParse(t, b.String())

	s := at(f, fmt.Sprintf("t%d", n))
	s.Answers = map[string]string{}
	answer := strings.Repeat("x", maxCondText)
	for i := range n {
		s.Answers[fmt.Sprintf("t%d", i)] = answer
	}
	r := Advance(f, s, Input{Text: "abc"})
	require.NotNil(t, r.Answer)
	assert.Equal(t, 0, r.Answer.Score)
	require.Len(t, r.Overbudget, 1)
	assert.Contains(t, r.Overbudget[0], fmt.Sprintf("inline.yaml:%d: step t%d: score_when", n+9, n))
	assert.Contains(t, r.Overbudget[0], "over its budget, counted as false")

	// The same condition over few answers runs, and holds.
	s.Answers = map[string]string{"t0": "cab"}
	r = Advance(f, s, Input{Text: "ab"})
	assert.Equal(t, 5, r.Answer.Score)
	assert.Empty(t, r.Overbudget)
}

func BenchmarkConditionsOn5000Chars(b *testing.B) {
	long := strings.Repeat("ab\u044f", 5000/3+1)[:5000]
	for i, cond := range heavyConds {
		f := mustParse(b, condFlow(cond))
		s := at(f, "note")
		s.Answers = map[string]string{"need": "buy,rent", "budget": "1000"}
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				Advance(f, s, Input{Text: long})
			}
		})
	}
}
