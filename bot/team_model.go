package bot

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// RenderModel is /model: the model in use and how it was judged, its
// strongest features, how it compares with the flow's score, and the
// latest trainings.
func RenderModel(r *crm.ModelReport, loc *time.Location) string {
	var b strings.Builder
	p := r.Policy
	b.WriteString("🎯 Win model\n")
	fmt.Fprintf(&b, "Outcomes known: %d won, %d not won (a model needs %d and %d)\n", r.Won, r.Lost, p.MinWon, p.MinLost)
	m := r.Current
	if m == nil {
		b.WriteString("No model in use yet: cards show the score alone.\n")
		if len(r.Recent) == 0 {
			return strings.TrimRight(b.String(), "\n")
		}
	} else {
		ev := m.Eval
		fmt.Fprintf(&b, "In use: model #%d, trained %s; P(won within %s of qualification)\n",
			m.ID, m.TrainedAt.In(loc).Format("2 Jan 2006 15:04"), days(m.Horizon.Hours()))
		fmt.Fprintf(&b, "Trained on %d leads (%d won, %d not) qualified %s – %s\n", ev.TrainLeads, ev.TrainWon, ev.TrainLost,
			ev.TrainFrom.In(loc).Format("2 Jan 2006"), ev.TrainTo.In(loc).Format("2 Jan 2006"))
		fmt.Fprintf(&b, "Judged on the %d most recent (%d won, %d not), %s – %s, never seen in training:\n", ev.TestLeads, ev.TestWon, ev.TestLost,
			ev.TestFrom.In(loc).Format("2 Jan 2006"), ev.TestTo.In(loc).Format("2 Jan 2006"))
		fmt.Fprintf(&b, "  AUC %.3f (score alone: %.3f; 0.5 is a coin toss)\n", ev.AUC, ev.ScoreAUC)
		fmt.Fprintf(&b, "  Brier %.3f (lower is better; always saying %s: %.3f)\n", ev.Brier, Percent(baseRate(ev)), baseRate(ev)*(1-baseRate(ev)))
		if len(ev.Calibration) > 0 {
			b.WriteString("Calibration, by tenth of predictions (said → happened):\n")
			for i, c := range ev.Calibration {
				fmt.Fprintf(&b, "  %2d. %4s → %4s of %d\n", i+1, Percent(c.Predicted), Percent(c.Observed()), c.Leads)
			}
		}
		if len(r.Strongest) > 0 {
			b.WriteString("Strongest features (odds ×, per standard deviation):\n")
			for _, f := range r.Strongest {
				mark := "↑"
				if f.Weight < 0 {
					mark = "↓"
				}
				fmt.Fprintf(&b, "  %s %s ×%.2f\n", mark, r.Labels[f.Name], math.Exp(f.Strength()))
			}
		}
	}
	if len(r.Recent) > 0 {
		b.WriteString("Latest trainings:\n")
		for _, t := range r.Recent {
			verdict := "kept the one in use"
			switch {
			case t.Current:
				verdict = "in use"
			case t.Eval.Previous == nil || crm.Better(t.Eval.AUC, t.Eval.Brier, t.Eval.Previous.AUC, t.Eval.Previous.Brier):
				verdict = "promoted, since replaced"
			}
			line := fmt.Sprintf("  #%d %s AUC %.3f", t.ID, t.TrainedAt.In(loc).Format("2 Jan 15:04"), t.Eval.AUC)
			if pv := t.Eval.Previous; pv != nil {
				line += fmt.Sprintf(" vs #%d %.3f", pv.ID, pv.AUC)
			}
			b.WriteString(line + " · " + verdict + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func baseRate(ev crm.ModelEvaluation) float64 {
	if ev.TestLeads == 0 {
		return 0
	}
	return float64(ev.TestWon) / float64(ev.TestLeads)
}
