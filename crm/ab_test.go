package crm_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

// TestABResultsHandComputed checks /ab's figures against values worked
// out by hand from the formulas: the Wilson interval
// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with z = 1.96
// (10 of 100: 5.52%–17.44%, the textbook value), P(beats) from the
// normal approximation of Beta(k+1, n-k+1) posteriors, and the
// chi-square split test (1 degree of freedom: p = erfc(sqrt(χ²/2))).
func TestABResultsHandComputed(t *testing.T) {
	t.Parallel()
	x := crm.FlowExperiment{ID: "need_wording", Flow: "qualify", Step: "need",
		Variants: []crm.Variant{{ID: "a", Weight: 50}, {ID: "b", Weight: 50}}}
	counts := []crm.ExperimentCounts{
		{Experiment: "need_wording", Variant: "a", Leads: 100, Started: 80, Completed: 50, Qualified: 30, Hot: 10, Won: 5},
		{Experiment: "need_wording", Variant: "b", Leads: 120, Started: 90, Completed: 60, Qualified: 45, Hot: 20, Won: 3},
		{Experiment: "other", Variant: "a", Leads: 999},
		// An arm the file no longer has: shown after, not in the split test.
		{Experiment: "need_wording", Variant: "old", Leads: 7},
	}
	r := crm.ABResults(x, counts)
	require.Len(t, r.Variants, 3)
	a, b, old := r.Variants[0], r.Variants[1], r.Variants[2]
	near := func(want, got float64, what string) { assert.InDelta(t, want, got, 0.00005, what) }

	assert.Equal(t, 100, a.Leads)
	assert.Equal(t, 10, a.Hot.Count)
	near(0.10, a.Hot.Rate, "a hot rate")
	near(0.0552, a.Hot.Lo, "a hot lo")
	near(0.1744, a.Hot.Hi, "a hot hi")
	near(0.7112, a.Started.Lo, "a started lo")
	near(0.8666, a.Started.Hi, "a started hi")
	near(0.0215, a.Won.Lo, "a won lo")
	near(0.1118, a.Won.Hi, "a won hi")
	assert.True(t, math.IsNaN(a.Hot.BeatsFirst), "the baseline is not compared with itself")

	near(0.1667, b.Hot.Rate, "b hot rate")
	near(0.1106, b.Hot.Lo, "b hot lo")
	near(0.2435, b.Hot.Hi, "b hot hi")
	near(0.6656, b.Started.Lo, "b started lo")
	near(0.8189, b.Started.Hi, "b started hi")
	near(0.0085, b.Won.Lo, "b won lo")
	near(0.0709, b.Won.Hi, "b won hi")
	near(0.9200, b.Hot.BeatsFirst, "P(b's hot rate beats a's)")
	near(0.1943, b.Started.BeatsFirst, "P(b's start rate beats a's)")
	near(0.1779, b.Won.BeatsFirst, "P(b's win rate beats a's)")

	assert.Equal(t, crm.ABVariant{ID: "old", Weight: 0, Leads: 7}.ID, old.ID)
	assert.Equal(t, 0, old.Weight)
	near(0, old.Won.Lo, "old won lo")
	near(0.3543, old.Won.Hi, "old won hi: 0 of 7")

	// 100 against 120 at 50/50: χ² = 2·10²/110 = 1.818, p = 0.1775.
	near(0.1775, r.SRM, "SRM p")
	assert.False(t, r.SRMFlag)

	// 120 against 80: χ² = 8, p = erfc(2) = 0.00468: the split is broken.
	counts[0].Leads, counts[1].Leads = 120, 80
	r = crm.ABResults(x, counts)
	near(0.0047, r.SRM, "SRM p")
	assert.True(t, r.SRMFlag)

	// No leads yet: empty arms, intervals of everything, no alarm.
	r = crm.ABResults(x, nil)
	require.Len(t, r.Variants, 2)
	assert.Equal(t, 0, r.Variants[1].Leads)
	near(1, r.Variants[1].Won.Hi, "no leads: anything is possible")
	assert.False(t, r.SRMFlag)
}
