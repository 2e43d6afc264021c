package crm_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
)

func TestAUCBrierCalibrationByHand(t *testing.T) {
	t.Parallel()
	p := []float64{0.1, 0.4, 0.35, 0.8}
	won := []bool{false, false, true, true}
	// Pairs (won, not won): (0.35,0.1) yes, (0.35,0.4) no, (0.8,0.1) yes, (0.8,0.4) yes: 3/4.
	require.InDelta(t, 0.75, crm.AUC(p, won), 1e-12)
	// A tie counts half: (0.5 vs 0.5).
	require.InDelta(t, 0.5, crm.AUC([]float64{0.5, 0.5}, []bool{true, false}), 1e-12)
	require.True(t, math.IsNaN(crm.AUC([]float64{0.5}, []bool{true})))
	// (0.01 + 0.16 + 0.4225 + 0.04) / 4
	require.InDelta(t, 0.158125, crm.Brier(p, won), 1e-12)
	bins := crm.Calibration(p, won)
	require.Len(t, bins, 4)
	require.Equal(t, crm.CalibrationBin{Leads: 1, Predicted: 0.35, Won: 1}, bins[1])
	twenty := make([]float64, 20)
	for i := range twenty {
		twenty[i] = float64(i) / 20
	}
	bins = crm.Calibration(twenty, make([]bool, 20))
	require.Len(t, bins, 10)
	require.InDelta(t, 0.025, bins[0].Predicted, 1e-12)
	require.Equal(t, 2, bins[9].Leads)
}

func TestSplitByTimeKeepsTiesTogether(t *testing.T) {
	t.Parallel()
	at := func(m int) *time.Time { v := time.Date(2025, 1, 1, 0, m, 0, 0, time.UTC); return &v }
	var os []crm.LeadOutcome
	for i, m := range []int{5, 1, 3, 3, 3, 2, 4, 6, 7, 8} {
		os = append(os, crm.LeadOutcome{Facts: crm.LeadFacts{Lead: crm.Lead{ID: int64(i), QualifiedAt: at(m)}}})
	}
	_, test := crm.SplitByTime(os, 0.2)
	require.Len(t, test, 2)
	require.Equal(t, 7, test[0].Facts.Lead.QualifiedAt.Minute())
	// 30% would cut inside the three leads of minute 3... it does not.
	os[6].Facts.Lead.QualifiedAt, os[0].Facts.Lead.QualifiedAt, os[7].Facts.Lead.QualifiedAt = at(3), at(3), at(3)
	train, test := crm.SplitByTime(os, 0.5)
	for _, tr := range train {
		require.True(t, tr.Facts.Lead.QualifiedAt.Before(*test[0].Facts.Lead.QualifiedAt))
	}
}

// fixedFitter returns the weights it is given, whatever the data: one
// column's weight is set by name through the design's column order.
type fixedFitter struct {
	w func(cols int) []float64
}

func (f fixedFitter) FitLogistic(ctx context.Context, x []float64, rows, cols int, y []float64, l2 float64) (float64, []float64, error) {
	return 0, f.w(cols), nil
}

func history(n int) []crm.LeadOutcome {
	os, _ := crmtest.History{Leads: n, Seed: 3, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Every: time.Hour,
		Intercept: -1, Buy: 2.5, Price: 0.5, Budget: 0.5, Ads: -1}.Generate()
	return os
}

func TestLearningFallbackUntilEnoughOutcomes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	os := history(400)
	var few []crm.LeadOutcome
	won := 0
	for _, o := range os {
		if o.Won && won == 29 {
			continue
		}
		if o.Won {
			won++
		}
		few = append(few, o)
	}
	store := crmtest.NewModelStore(few)
	l := crm.NewLearning(store, fixedFitter{func(c int) []float64 { return make([]float64, c) }}, nil, crm.ModelPolicy{}, crmtest.NewClock(now))
	res, err := l.Train(context.Background(), now)
	require.NoError(t, err)
	require.Contains(t, res.Skipped, "not enough outcomes: 29 won")
	require.Nil(t, res.Model)
	est, err := l.Estimate(context.Background(), &crm.LeadCard{})
	require.NoError(t, err)
	require.False(t, est.Ready)
	require.Equal(t, 30, est.MinWon)
	models, _ := store.Models(context.Background(), 10)
	require.Empty(t, models, "nothing stored")
}

func TestLearningPromotesOnlyABetterModel(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := crmtest.NewModelStore(history(2000))
	ctx := context.Background()
	// The design's columns are sorted by name; "answer:need=buy" comes
	// before everything but "answer:budget".
	good := fixedFitter{func(c int) []float64 { w := make([]float64, c); w[1] = 1; return w }}
	bad := fixedFitter{func(c int) []float64 { w := make([]float64, c); w[1] = -1; return w }}
	first, err := crm.NewLearning(store, good, nil, crm.ModelPolicy{}, crmtest.NewClock(now)).Train(ctx, now)
	require.NoError(t, err)
	require.True(t, first.Promoted)
	require.Nil(t, first.Model.Eval.Previous)
	require.Greater(t, first.Model.Eval.AUC, 0.6)

	l := crm.NewLearning(store, bad, nil, crm.ModelPolicy{}, crmtest.NewClock(now))
	second, err := l.Train(ctx, now)
	require.NoError(t, err)
	require.False(t, second.Promoted, "a worse model is stored but not promoted")
	require.Equal(t, first.Model.ID, second.Model.Eval.Previous.ID)
	require.InDelta(t, first.Model.Eval.AUC, second.Model.Eval.Previous.AUC, 1e-12)
	require.Less(t, second.Model.Eval.AUC, second.Model.Eval.Previous.AUC)
	cur, err := l.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, first.Model.ID, cur.ID)
	models, _ := store.Models(ctx, 10)
	require.Len(t, models, 2)

	third, err := crm.NewLearning(store, good, nil, crm.ModelPolicy{}, crmtest.NewClock(now)).Train(ctx, now)
	require.NoError(t, err)
	require.False(t, third.Promoted, "an equal model does not replace the one in use")
}

func TestEstimateExplainsTheCard(t *testing.T) {
	t.Parallel()
	m := &crm.WinModel{Intercept: -1, Features: []crm.ModelFeature{
		{Name: "answer:budget", Weight: 0.5, Mean: 3, Scale: 1},
		{Name: "answer:need=buy", Weight: 1.2, Mean: 0.3, Scale: 0.46},
		{Name: "language=en", Weight: 0.1, Mean: 0.5, Scale: 0.5},
		{Name: "source=ads", Weight: -0.8, Mean: 0.5, Scale: 0.5},
		{Name: "weekday=Sun", Weight: -0.2, Mean: 0.1, Scale: 0.3},
	}, Current: true, Horizon: 30 * 24 * time.Hour}
	store := crmtest.NewModelStore(nil)
	require.NoError(t, store.SaveModel(context.Background(), m))
	sunday := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	card := &crm.LeadCard{Lead: crm.Lead{CreatedAt: sunday, QualifiedAt: &sunday, Attribution: crm.Attribution{Source: "ads"}},
		Contact: crm.Contact{Language: "en"},
		Answers: []crm.CardAnswer{{Question: "need", Kind: "choice", Value: "buy"}, {Question: "budget", Kind: "number", Value: "9999"}}}
	l := crm.NewLearning(store, nil, nil, crm.ModelPolicy{}, nil)
	est, err := l.Estimate(context.Background(), card)
	require.NoError(t, err)
	require.True(t, est.Ready)
	// z = -1 + 0.5*4 + 1.2 + 0.1 - 0.8 - 0.2 = 1.3
	require.InDelta(t, crm.Sigmoid(1.3), est.Probability, 1e-9)
	require.Equal(t, m.ID, est.ModelID)
	// From the average lead: buy +0.84, budget +0.5, language +0.05;
	// ads -0.4, Sunday -0.18.
	require.Len(t, est.Raised, 3)
	require.Equal(t, "answer:need=buy", est.Raised[0].Feature)
	require.Equal(t, "need: buy", est.Raised[0].Label)
	require.Equal(t, "budget: 9999", est.Raised[1].Label)
	require.Len(t, est.Lowered, 2)
	require.Equal(t, "source ads", est.Lowered[0].Label)
	require.Equal(t, "arrived on Sun", est.Lowered[1].Label)
}

func TestModelReportIsForHeads(t *testing.T) {
	t.Parallel()
	st := crm.NewStats(nil, nil, nil, nil, nil, time.UTC)
	_, err := st.Model(context.Background(), crm.Manager{Name: "Boris", Role: crm.RoleRep})
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err))
	_, err = st.Model(context.Background(), crm.Manager{Name: "Anna", Role: crm.RoleHead})
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err), "no learning wired")
	store := crmtest.NewModelStore(history(600))
	st.SetLearning(crm.NewLearning(store, fixedFitter{func(c int) []float64 { w := make([]float64, c); w[1] = 1; return w }},
		nil, crm.ModelPolicy{}, nil))
	r, err := st.Model(context.Background(), crm.Manager{Name: "Anna", Role: crm.RoleHead})
	require.NoError(t, err)
	require.Nil(t, r.Current)
	require.Positive(t, r.Won)
}
