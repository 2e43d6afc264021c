package learn_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/cmd/internal/learn"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
)

var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// truth is the history the tests draw: buy raises the odds most, then
// budget, then price (vs support); ads lower them; noise does nothing.
var truth = crmtest.History{Leads: 20000, Seed: 7, Start: t0, Every: 17 * time.Minute,
	Intercept: -3, Buy: 1.5, Price: 0.3, Budget: 0.6, Ads: -0.8}

// recordingFitter remembers how many rows it was given.
type recordingFitter struct {
	crm.Fitter
	rows int
}

func (f *recordingFitter) FitLogistic(ctx context.Context, x []float64, rows, cols int, y []float64, l2 float64) (float64, []float64, error) {
	f.rows = rows
	return f.Fitter.FitLogistic(ctx, x, rows, cols, y, l2)
}

func weight(t *testing.T, m *crm.WinModel, name string) float64 {
	t.Helper()
	for _, f := range m.Features {
		if f.Name == name {
			return f.Weight
		}
	}
	t.Fatalf("model has no feature %q", name)
	return 0
}

func TestTrainRecoversKnownEffects(t *testing.T) {
	t.Parallel()
	outcomes, probs := truth.Generate()
	store := crmtest.NewModelStore(outcomes)
	fitter := &recordingFitter{Fitter: learn.Logistic{}}
	l := crm.NewLearning(store, fitter, nil, crm.ModelPolicy{L2: 1e-4}, crmtest.NewClock(t0))
	res, err := l.Train(context.Background(), t0.AddDate(1, 0, 0))
	require.NoError(t, err)
	require.Empty(t, res.Skipped)
	require.True(t, res.Promoted, "the first model is promoted")
	m, ev := res.Model, res.Model.Eval

	// Signs and order of the true effects. The choices are one-hot with
	// support as the base, so effects are differences from it.
	buy := weight(t, m, "answer:need=buy") - weight(t, m, "answer:need=support")
	price := weight(t, m, "answer:need=price") - weight(t, m, "answer:need=support")
	budget := weight(t, m, "answer:budget")
	ads := weight(t, m, "source=ads") - weight(t, m, "source=organic")
	noise := weight(t, m, "answer:noise=a") - weight(t, m, "answer:noise=b")
	t.Logf("buy %.3f (1.5) price %.3f (0.3) budget %.3f (0.6) ads %.3f (-0.8) noise %.3f (0)", buy, price, budget, ads, noise)
	require.Greater(t, price, 0.0)
	require.Greater(t, budget, 0.0)
	require.Less(t, ads, 0.0)
	require.Greater(t, buy, math.Abs(ads))
	require.Greater(t, math.Abs(ads), budget)
	require.Greater(t, budget, price)
	require.InDelta(t, 1.5, buy, 0.25)
	require.InDelta(t, 0.6, budget, 0.15)
	require.InDelta(t, 0, noise, 0.12, "a choice without effect gets a weight near zero")

	// Held out: the latest 20%, none of them in training.
	require.Equal(t, fitter.rows, ev.TrainLeads)
	require.Equal(t, len(outcomes), ev.TrainLeads+ev.TestLeads)
	require.True(t, ev.TrainTo.Before(ev.TestFrom), "train %s .. %s, test %s .. %s", ev.TrainFrom, ev.TrainTo, ev.TestFrom, ev.TestTo)
	require.Equal(t, 4000, ev.TestLeads)

	// The true model's AUC on the same held-out leads.
	_, test := crm.SplitByTime(outcomes, 0.2)
	tp := make([]float64, len(test))
	won := make([]bool, len(test))
	for i, o := range test {
		tp[i], won[i] = probs[o.Facts.Lead.ID-1], o.Won
	}
	trueAUC := crm.AUC(tp, won)
	t.Logf("held-out AUC %.4f, true model %.4f, YAML score %.4f, Brier %.4f", ev.AUC, trueAUC, ev.ScoreAUC, ev.Brier)
	require.InDelta(t, trueAUC, ev.AUC, 0.03)
	require.Greater(t, ev.AUC, ev.ScoreAUC, "the model beats the YAML score here")
	require.Len(t, ev.Calibration, 10)
	for _, b := range ev.Calibration {
		require.Equal(t, 400, b.Leads)
		require.InDelta(t, b.Predicted, b.Observed(), 0.08, "calibrated within sampling error")
	}
}

// BenchmarkTrain trains on 100,000 outcomes with about 50 features
// (need 3, budget 1, noise 2, source 2, language 1, dialogue 1, hour 8,
// weekday 7, and 9 extra choices of 3 options: 27).
func BenchmarkTrain(b *testing.B) {
	h := truth
	h.Leads, h.Extra, h.Every = 100_000, 9, 3*time.Minute
	outcomes, _ := h.Generate()
	store := crmtest.NewModelStore(outcomes)
	l := crm.NewLearning(store, learn.Logistic{}, nil, crm.ModelPolicy{}, crmtest.NewClock(t0))
	b.ResetTimer()
	for b.Loop() {
		res, err := l.Train(context.Background(), t0.AddDate(1, 0, 0))
		if err != nil || res.Model == nil {
			b.Fatal(err, res)
		}
		b.ReportMetric(float64(len(res.Model.Features)), "features")
	}
}

// BenchmarkScore scores one lead's card with the model in use, as a card
// does: features, probability and the explanation.
func BenchmarkScore(b *testing.B) {
	h := truth
	h.Leads, h.Extra = 5000, 9
	outcomes, _ := h.Generate()
	store := crmtest.NewModelStore(outcomes)
	l := crm.NewLearning(store, learn.Logistic{}, nil, crm.ModelPolicy{}, crmtest.NewClock(t0))
	if _, err := l.Train(context.Background(), t0.AddDate(1, 0, 0)); err != nil {
		b.Fatal(err)
	}
	o := outcomes[len(outcomes)-1].Facts
	card := &crm.LeadCard{Lead: o.Lead, Contact: crm.Contact{Language: o.Language}}
	for _, a := range o.Answers {
		card.Answers = append(card.Answers, crm.CardAnswer{Question: a.StepID, Kind: a.Kind, Value: a.Value})
	}
	b.ResetTimer()
	for b.Loop() {
		est, err := l.Estimate(context.Background(), card)
		if err != nil || !est.Ready {
			b.Fatal(err)
		}
	}
}
