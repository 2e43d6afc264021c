package flows

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

// abFlow has a choice step "need", a multi step "tools" and one
// experiment on each; extra is appended to its experiments.
const abFlow = `id: ab
version: 1
languages: [ru, en]
thresholds: {hot: 60, warm: 30}
steps:
  - id: need
    kind: choice
    ask: {ru: "Что нужно?", en: "What do you need?"}
    options:
      - {id: buy, text: {ru: Купить, en: Buy}, score: 40}
      - {id: price, text: {ru: Цена, en: Pricing}, score: 10}
      - {id: support, text: {ru: Поддержка, en: Support}, next: done}
    next: tools
  - id: tools
    kind: multi
    ask: {ru: "Чем пользуетесь?", en: "What do you use?"}
    options:
      - {id: crm, text: {ru: CRM, en: CRM}, score: 10}
      - {id: excel, text: {ru: Excel, en: Excel}, score: 5}
      - {id: paper, text: {ru: Бумага, en: Paper}, score: 20}
    next: done
  - {id: done, kind: end, say: {ru: Спасибо, en: Thanks}}
experiments:
  - id: need_wording
    step: need
    variants:
      - {id: a, weight: 50}
      - id: b
        weight: 50
        ask: {ru: "Чем помочь?", en: "How can we help?"}
        options: [price, buy]
        option_texts: {buy: {ru: "Хочу купить", en: "I want to buy"}}
  - id: tools_order
    step: tools
    variants:
      - {id: a, weight: 1}
      - {id: b, weight: 3, options: [paper, excel, crm]}
`

func parseAB(t *testing.T, extra string) *Flow {
	t.Helper()
	f, err := Parse("ab.yaml", []byte(abFlow+extra))
	require.NoError(t, err)
	return f
}

func labels(p Prompt) (out []string) {
	for _, row := range p.Choices {
		for _, c := range row {
			out = append(out, c.Data+"="+c.Text)
		}
	}
	return out
}

// TestExperimentVariantIsAsked: the variant rewords the question and the
// options' labels, shows a subset in its own order, and the answer stored
// is the option id with the step's own score, whatever the arm.
func TestExperimentVariantIsAsked(t *testing.T) {
	t.Parallel()
	f := parseAB(t, "")

	a := Begin(f, "en", "")
	assert.Equal(t, "What do you need?", a.Prompts[0].Text)
	assert.Equal(t, []string{"need:buy=Buy", "need:price=Pricing", "need:support=Support"}, labels(a.Prompts[0]))

	b := BeginWith(f, "en", "", map[string]string{"need_wording": "b", "tools_order": "b"})
	assert.Equal(t, "How can we help?", b.Prompts[0].Text)
	assert.Equal(t, []string{"need:price=Pricing", "need:buy=I want to buy"}, labels(b.Prompts[0]))
	assert.Equal(t, map[string]string{"need_wording": "b", "tools_order": "b"}, b.State.Variants)

	// Typed "1" is the first option the customer saw; the reworded label
	// is understood; an option the arm does not show is not.
	r := Advance(f, b.State, Input{Text: "1"})
	require.NotNil(t, r.Answer)
	assert.Equal(t, Answered{Step: "need", Kind: KindChoice, Value: "price", Score: 10}, *r.Answer)
	r = Advance(f, b.State, Input{Text: "I want to buy"})
	require.NotNil(t, r.Answer)
	assert.Equal(t, "buy", r.Answer.Value)
	assert.Equal(t, 40, r.Answer.Score)
	assert.True(t, Advance(f, b.State, Input{Button: "need:support"}).Invalid)
	assert.True(t, Advance(f, b.State, Input{Text: "Support"}).Invalid)

	// The next step is asked in its own variant, and the variants ride on.
	assert.Equal(t, map[string]string{"need_wording": "b", "tools_order": "b"}, r.State.Variants)
	assert.Equal(t, []string{"tools:paper=Paper", "tools:excel=Excel", "tools:crm=CRM", "tools:!done=Done"}, labels(r.Prompts[0]))

	// A multi answer is stored in the step's written order, whatever
	// order the arm shows: "1, 3" is paper and crm, stored "crm,paper".
	m := Advance(f, r.State, Input{Text: "1, 3"})
	require.NotNil(t, m.Answer)
	assert.Equal(t, "crm,paper", m.Answer.Value)
	assert.Equal(t, 30, m.Answer.Score)
	assert.True(t, m.Finished)

	// An unknown variant id (removed from the file since) is the baseline.
	u := BeginWith(f, "en", "", map[string]string{"need_wording": "gone"})
	assert.Equal(t, "What do you need?", u.Prompts[0].Text)
}

// TestExperimentReplay: a dialogue is rebuilt in the lead's variants to
// the very state Advance left; in the baseline, an answer its arm did not
// allow is a conflict.
func TestExperimentReplay(t *testing.T) {
	t.Parallel()
	f := parseAB(t, "")
	vs := map[string]string{"need_wording": "b", "tools_order": "b"}
	s := BeginWith(f, "ru", "", vs).State
	var stored []crm.Answer
	for _, in := range []Input{{Text: "2"}, {Button: "tools:paper"}, {Button: "tools:excel"}} {
		r := Advance(f, s, in)
		require.False(t, r.Invalid)
		if r.Answer != nil {
			stored = append(stored, crm.Answer{StepID: r.Answer.Step, Kind: r.Answer.Kind, Value: r.Answer.Value, Score: r.Answer.Score})
		}
		s = r.State
	}
	require.Len(t, stored, 1) // "2" is buy in arm b; the multi waits for Done
	assert.Equal(t, "buy", stored[0].Value)
	s.Selected = nil
	got, err := ReplayWith(f, "ru", vs, stored)
	require.NoError(t, err)
	assert.Equal(t, s, got)

	// support is not shown in arm b, so a stored support does not replay there.
	_, err = ReplayWith(f, "ru", vs, []crm.Answer{{StepID: "need", Kind: KindChoice, Value: "support"}})
	assert.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	_, err = Replay(f, "ru", []crm.Answer{{StepID: "need", Kind: KindChoice, Value: "support"}})
	assert.NoError(t, err)
}

// TestExperimentAssignSticky: a contact's variant is a pure function of
// the contact and the experiment (the same on every call, whatever else
// the flow holds), and the weights are honoured.
func TestExperimentAssignSticky(t *testing.T) {
	t.Parallel()
	f := parseAB(t, "")
	again := parseAB(t, "") // another load, as another replica has
	counts := map[string]int{}
	const n = 20000
	for c := int64(1); c <= n; c++ {
		v := f.Assign(c)
		require.Equal(t, v, again.Assign(c))
		require.Equal(t, v, f.Assign(c))
		counts["need_wording/"+v["need_wording"]]++
		counts["tools_order/"+v["tools_order"]]++
	}
	// 50/50 and 1/3: within 4 standard deviations of the weights.
	assert.InDelta(t, n/2, counts["need_wording/a"], 4*70.7)
	assert.InDelta(t, n/4, counts["tools_order/a"], 4*61.2)
	assert.Equal(t, n, counts["need_wording/a"]+counts["need_wording/b"])
	// It is crm.AssignVariant over the experiment's key, so a hand check
	// of one contact needs nothing of this package.
	want := crm.AssignVariant("flow-experiment:tools_order", 42, []crm.Variant{{ID: "a", Weight: 1}, {ID: "b", Weight: 3}}, "")
	assert.Equal(t, want, f.Assign(42)["tools_order"])
	// The two experiments draw independently: knowing one arm says
	// nothing of the other.
	both := 0
	for c := int64(1); c <= n; c++ {
		v := f.Assign(c)
		if v["need_wording"] == "a" && v["tools_order"] == "a" {
			both++
		}
	}
	assert.InDelta(t, n/8, both, 4*46.8)
}

// TestExperimentWholeFlow: a whole-flow experiment's variant names the
// flow its leads follow.
func TestExperimentWholeFlow(t *testing.T) {
	t.Parallel()
	f := parseAB(t, `  - id: short_form
    variants:
      - {id: long, weight: 2}
      - {id: short, weight: 1, flow: ab-short}
`)
	assert.Equal(t, "ab", f.Route(map[string]string{"short_form": "long"}))
	assert.Equal(t, "ab-short", f.Route(map[string]string{"short_form": "short"}))
	assert.Equal(t, "ab", f.Route(nil))
	short := strings.Replace(abFlow[:strings.Index(abFlow, "experiments:")], "id: ab\n", "id: ab-short\n", 1)
	srcs := []Source{{Name: "ab.yaml", Data: []byte(abFlow + `  - id: short_form
    variants:
      - {id: long, weight: 2}
      - {id: short, weight: 1, flow: ab-short}
`)}, {Name: "short.yaml", Data: []byte(short)}}
	probs, good := Lint(srcs)
	assert.Empty(t, probs[0])
	assert.Empty(t, probs[1])
	assert.Len(t, good, 2)
	// Without the short flow, the variant points nowhere.
	probs, good = Lint(srcs[:1])
	require.Len(t, probs[0], 1)
	assert.Equal(t, `ab.yaml:41: experiment short_form, variant short: no flow "ab-short"`, probs[0][0].String())
	assert.Empty(t, good)
}

// TestExperimentLint: every problem of an experiment is reported with its
// line.
func TestExperimentLint(t *testing.T) {
	t.Parallel()
	// abFlow without tools_order, so the cases may vary tools.
	abBase := abFlow[:strings.Index(abFlow, "  - id: tools_order")]
	for _, c := range []struct {
		name, extra string
		want        []string
	}{
		{"unknown step", `  - id: x
    step: neeed
    variants: [{id: a, weight: 1}, {id: b, weight: 1}]
`, []string{`ab.yaml:34: experiment x: unknown step "neeed" (did you mean "need"?)`}},
		{"end step", `  - id: x
    step: done
    variants: [{id: a, weight: 1}, {id: b, weight: 1}]
`, []string{`ab.yaml:34: experiment x: step "done" is an end step; vary a question`}},
		{"a step varied twice", `  - id: x
    step: need
    variants: [{id: a, weight: 1}, {id: b, weight: 1}]
`, []string{`ab.yaml:34: experiment x: step "need" is already varied by experiment need_wording; one experiment a step`}},
		{"weights", `  - id: x
    variants:
      - {id: a, weight: 0}
      - {id: b}
      - {id: c, weight: -3}
`, []string{
			`ab.yaml:35: experiment x, variant a: weight must be from 1 to 1000000, got 0`,
			`ab.yaml:36: experiment x, variant b: weight is missing (a positive whole number; shares are weight / sum of weights)`,
			`ab.yaml:37: experiment x, variant c: weight must be from 1 to 1000000, got -3`,
		}},
		{"duplicate ids", `  - id: need_wording
    variants:
      - {id: a, weight: 1}
      - {id: a, weight: 1}
`, []string{
			`ab.yaml:33: duplicate experiment id "need_wording" (first at line 24)`,
			`ab.yaml:36: experiment need_wording, variant a: duplicate variant id (first at line 35)`,
		}},
		{"one variant", `  - id: x
    variants: [{id: a, weight: 1}]
`, []string{`ab.yaml:34: experiment x needs at least 2 variants`}},
		{"options that do not exist", `  - id: x
    step: tools
    variants:
      - {id: a, weight: 1}
      - {id: b, weight: 1, options: [crm, exel, crm]}
`, []string{
			`ab.yaml:37: step tools: experiment x, variant b: option "exel" does not exist in the step (did you mean "excel"?) (a variant may reorder and leave out options, not add or rename them)`,
			`ab.yaml:37: step tools: experiment x, variant b: option "crm" is listed twice`,
		}},
		{"too few options", `  - id: x
    step: tools
    variants:
      - {id: a, weight: 1}
      - {id: b, weight: 1, options: [crm]}
`, []string{`ab.yaml:37: step tools: experiment x, variant b: a multi step needs at least 2 options`}},
		{"option_texts", `  - id: x
    step: tools
    variants:
      - {id: a, weight: 1}
      - id: b
        weight: 1
        options: [crm, excel]
        option_texts: {paper: {ru: Б, en: P}, crm: {ru: CRM}, fax: {ru: Ф, en: F}}
`, []string{
			`ab.yaml:40: step tools: experiment x, variant b: option "crm" has no "en" text`,
			`ab.yaml:40: step tools: experiment x, variant b: option_texts names option "fax", which the step does not have`,
			`ab.yaml:40: step tools: experiment x, variant b: option_texts names option "paper", which the variant does not show`,
		}},
		{"ask in every language", `  - id: x
    step: tools
    variants:
      - {id: a, weight: 1}
      - {id: b, weight: 1, ask: {ru: "Что?", de: "Was?"}}
`, []string{
			`ab.yaml:37: step tools: experiment x, variant b: ask has no "en" text`,
			`ab.yaml:37: step tools: experiment x, variant b: ask has a "de" text, but "de" is not in languages`,
		}},
		{"keys of the other kind", `  - id: x
    variants:
      - {id: a, weight: 1, ask: {ru: "Что?", en: "What?"}}
      - {id: b, weight: 1, flow: ab}
  - id: y
    step: tools
    variants:
      - {id: a, weight: 1, flow: ab}
      - {id: b, weight: 1, tipo: 1}
`, []string{
			`ab.yaml:35: experiment x, variant a: ask varies a step, and this experiment has no step`,
			`ab.yaml:40: experiment y, variant a: flow is for whole-flow experiments (without step)`,
			`ab.yaml:41: unknown key "tipo" in a variant`,
		}},
		{"two whole-flow experiments", `  - id: x
    variants: [{id: a, weight: 1}, {id: b, weight: 1}]
  - id: y
    variants: [{id: a, weight: 1}, {id: b, weight: 1}]
`, []string{`ab.yaml:35: experiment y: the flow already has a whole-flow experiment (x); give this one a step`}},
	} {
		_, err := Parse("ab.yaml", []byte(abBase+c.extra))
		var ps Problems
		require.True(t, errors.As(err, &ps), "%s: passed: %v", c.name, err)
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		assert.ElementsMatch(t, c.want, got, c.name)
	}
}

// TestExperimentIDsAcrossFlows: an experiment id belongs to one flow.
func TestExperimentIDsAcrossFlows(t *testing.T) {
	t.Parallel()
	other := strings.Replace(abFlow, "id: ab\n", "id: ab2\n", 1)
	probs, good := Lint([]Source{{Name: "ab.yaml", Data: []byte(abFlow)}, {Name: "ab2.yaml", Data: []byte(other)}})
	assert.Empty(t, probs[0])
	require.Len(t, probs[1], 2)
	assert.Equal(t, `ab2.yaml:24: experiment id "need_wording" is used by flow ab (ab.yaml) too; experiment ids are unique across flows`, probs[1][0].String())
	assert.Len(t, good, 1)
}
