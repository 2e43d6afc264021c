package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

func estimate() *crm.WinEstimate {
	return &crm.WinEstimate{Ready: true, Probability: 0.3412, ModelID: 3, Horizon: 30 * 24 * time.Hour,
		Raised: []crm.Contribution{
			{Label: "What brings you: Buy", LogOdds: 0.8329},
			{Label: "Budget: 1 500 000", LogOdds: 0.3365},
			{Label: "source google", LogOdds: 0.1823},
		},
		Lowered: []crm.Contribution{{Label: "arrived on Sun", LogOdds: -0.2231}},
	}
}

func TestWinLines(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{
		"Win probability 34% within 30d",
		"↑ What brings you: Buy ×2.3 · Budget: 1 500 000 ×1.4 · source google ×1.2",
		"↓ arrived on Sun ×0.8",
	}, bot.WinLines(estimate()))
	require.Equal(t, []string{"Win probability: not enough outcomes yet (needs 30 won and 30 lost); go by the score"},
		bot.WinLines(&crm.WinEstimate{MinWon: 30, MinLost: 30}))
	require.Nil(t, bot.WinLines(nil), "no learning wired: no line")
	require.Equal(t, "<1%", bot.Percent(0.004))
	require.Equal(t, ">99%", bot.Percent(0.995))
}

func TestRenderModel(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	cur := crm.WinModel{ID: 7, TrainedAt: day(31).Add(15 * time.Hour), Horizon: 30 * 24 * time.Hour, Current: true,
		Features: []crm.ModelFeature{{Name: "answer:need=buy", Weight: 2, Scale: 0.5}, {Name: "source=ads", Weight: -1, Scale: 0.5}},
		Eval: crm.ModelEvaluation{TrainLeads: 400, TrainWon: 100, TrainLost: 300, TrainFrom: day(1), TrainTo: day(20),
			TestLeads: 100, TestWon: 20, TestLost: 80, TestFrom: day(21), TestTo: day(30),
			AUC: 0.7812, Brier: 0.1423, ScoreAUC: 0.6634,
			Calibration: []crm.CalibrationBin{{Leads: 50, Predicted: 0.08, Won: 3}, {Leads: 50, Predicted: 0.31, Won: 17}},
			Previous:    &crm.PreviousModel{ID: 5, AUC: 0.75, Brier: 0.15}}}
	old := crm.WinModel{ID: 6, TrainedAt: day(30).Add(15 * time.Hour), Eval: crm.ModelEvaluation{AUC: 0.7,
		Previous: &crm.PreviousModel{ID: 5, AUC: 0.74, Brier: 0.15}}}
	r := &crm.ModelReport{Current: &cur, Strongest: cur.Strongest(6), Recent: []crm.WinModel{cur, old}, Won: 120, Lost: 380,
		Policy: crm.ModelPolicy{MinWon: 30, MinLost: 30},
		Labels: map[string]string{"answer:need=buy": "What brings you: Buy", "source=ads": "source ads"}}
	msk, _ := time.LoadLocation("Europe/Moscow")
	got := bot.RenderModel(r, msk)
	require.Equal(t, strings.Join([]string{
		"🎯 Win model",
		"Outcomes known: 120 won, 380 not won (a model needs 30 and 30)",
		"In use: model #7, trained 1 Feb 2026 06:00; P(won within 30d of qualification)",
		"Trained on 400 leads (100 won, 300 not) qualified 1 Jan 2026 – 20 Jan 2026",
		"Judged on the 100 most recent (20 won, 80 not), 21 Jan 2026 – 30 Jan 2026, never seen in training:",
		"  AUC 0.781 (score alone: 0.663; 0.5 is a coin toss)",
		"  Brier 0.142 (lower is better; always saying 20%: 0.160)",
		"Calibration, by tenth of predictions (said → happened):",
		"   1.   8% →   6% of 50",
		"   2.  31% →  34% of 50",
		"Strongest features (odds ×, per standard deviation):",
		"  ↑ What brings you: Buy ×2.72",
		"  ↓ source ads ×0.61",
		"Latest trainings:",
		"  #7 1 Feb 06:00 AUC 0.781 vs #5 0.750 · in use",
		"  #6 31 Jan 06:00 AUC 0.700 vs #5 0.740 · kept the one in use",
	}, "\n"), got)

	none := bot.RenderModel(&crm.ModelReport{Won: 12, Lost: 40, Policy: crm.ModelPolicy{MinWon: 30, MinLost: 30}}, time.UTC)
	require.Equal(t, "🎯 Win model\nOutcomes known: 12 won, 40 not won (a model needs 30 and 30)\nNo model in use yet: cards show the score alone.", none)
}
