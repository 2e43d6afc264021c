package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

type abCounts []crm.ExperimentCounts

func (c abCounts) Experiments(context.Context, time.Time, time.Time, map[string]string) ([]crm.ExperimentCounts, error) {
	return c, nil
}

// TestRenderAB: /ab for a head, with the hand-computed figures of
// crm's TestABResultsHandComputed; a rep is refused.
func TestRenderAB(t *testing.T) {
	t.Parallel()
	f, err := flows.Parse("q.yaml", []byte(`id: q
version: 1
languages: [en]
thresholds: {hot: 2, warm: 1}
steps:
  - id: need
    kind: choice
    ask: {en: "Need?"}
    options: [{id: buy, text: {en: Buy}, score: 2}, {id: look, text: {en: Look}}]
    next: done
  - {id: done, kind: end, say: {en: Bye}}
experiments:
  - id: need_wording
    step: need
    variants: [{id: a, weight: 50}, {id: b, weight: 50, ask: {en: "What do you need?"}}]
`))
	require.NoError(t, err)
	xs := bot.FlowExperiments(map[string]*flows.Flow{"q": f})
	require.Equal(t, []crm.FlowExperiment{{ID: "need_wording", Flow: "q", Step: "need",
		Variants: []crm.Variant{{ID: "a", Weight: 50}, {ID: "b", Weight: 50}}}}, xs)

	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	st := crm.NewStats(nil, nil, nil, nil, crm.ClockFunc(func() time.Time { return now }), time.UTC)
	st.SetExperiments(abCounts{
		{Experiment: "need_wording", Variant: "a", Leads: 120, Started: 80, Completed: 50, Qualified: 30, Hot: 10, Won: 5},
		{Experiment: "need_wording", Variant: "b", Leads: 80, Started: 70, Completed: 60, Qualified: 45, Hot: 20, Won: 3},
	}, xs)
	head := crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead}
	p, err := st.Period(head, "7d", "")
	require.NoError(t, err)
	_, err = st.AB(t.Context(), crm.Manager{ID: 2, Role: crm.RoleRep}, p)
	assert.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err))

	r, err := st.AB(t.Context(), head, p)
	require.NoError(t, err)
	text := bot.RenderAB(r)
	assert.Contains(t, text, "need_wording (flow q, step need)\na (weight 50 = 50%): 120 leads\n")
	assert.Contains(t, text, "  hot         10  8.3% [4.6–14.7]\n")
	assert.Contains(t, text, "b (weight 50 = 50%): 80 leads\n")
	assert.Contains(t, text, "  hot         20  25.0% [16.8–35.5]  P(beats a) 100%\n")
	assert.Contains(t, text, "⚠️ sample ratio mismatch (p = 0.0047)")
}
