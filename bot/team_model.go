package bot

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// RenderModel is /model in English (the CLI's `voronka model`).
func RenderModel(r *crm.ModelReport, loc *time.Location) string { return RenderModelIn(LangEN, r, loc) }

// RenderModelIn is /model in lang: the model in use and how it was
// judged, its strongest features, how it compares with the flow's score,
// and the latest trainings.
func RenderModelIn(lang string, r *crm.ModelReport, loc *time.Location) string {
	var b strings.Builder
	f := Format{Lang: lang, Loc: loc}
	t := func(key string, args ...any) { b.WriteString(TeamTextf(lang, key, args...) + "\n") }
	date := func(at time.Time) string { return f.DayMonth(at.In(loc)) + at.In(loc).Format(" 2006") }
	p := r.Policy
	t("model.title")
	t("model.outcomes", r.Won, r.Lost, p.MinWon, p.MinLost)
	m := r.Current
	if m == nil {
		t("model.none")
		if len(r.Recent) == 0 {
			return strings.TrimRight(b.String(), "\n")
		}
	} else {
		ev := m.Eval
		t("model.in_use", m.ID, date(m.TrainedAt)+m.TrainedAt.In(loc).Format(" 15:04"), horizonText(lang, m.Horizon.Hours()))
		t("model.trained", ev.TrainLeads, ev.TrainWon, ev.TrainLost, date(ev.TrainFrom), date(ev.TrainTo))
		t("model.judged", ev.TestLeads, ev.TestWon, ev.TestLost, date(ev.TestFrom), date(ev.TestTo))
		t("model.auc", decimal(lang, "%.3f", ev.AUC), decimal(lang, "%.3f", ev.ScoreAUC))
		t("model.brier", decimal(lang, "%.3f", ev.Brier), Percent(baseRate(ev)), decimal(lang, "%.3f", baseRate(ev)*(1-baseRate(ev))))
		if len(ev.Calibration) > 0 {
			t("model.calibration")
			for i, c := range ev.Calibration {
				t("model.cal_row", i+1, Percent(c.Predicted), Percent(c.Observed()), c.Leads)
			}
		}
		if len(r.Strongest) > 0 {
			t("model.strongest")
			for _, ft := range r.Strongest {
				mark := "↑"
				if ft.Weight < 0 {
					mark = "↓"
				}
				label := r.Labels[ft.Name]
				if n, ok := r.Names[ft.Name]; ok {
					label = FeatureText(lang, n)
				}
				fmt.Fprintf(&b, "  %s %s ×%s\n", mark, label, decimal(lang, "%.2f", math.Exp(ft.Strength())))
			}
		}
	}
	if len(r.Recent) > 0 {
		t("model.recent")
		for _, tr := range r.Recent {
			verdict := TeamText(lang, "model.kept")
			switch {
			case tr.Current:
				verdict = TeamText(lang, "model.current")
			case tr.Eval.Previous == nil || crm.Better(tr.Eval.AUC, tr.Eval.Brier, tr.Eval.Previous.AUC, tr.Eval.Previous.Brier):
				verdict = TeamText(lang, "model.replaced")
			}
			line := TeamTextf(lang, "model.row", tr.ID, f.DayMonth(tr.TrainedAt.In(loc))+tr.TrainedAt.In(loc).Format(" 15:04"), decimal(lang, "%.3f", tr.Eval.AUC))
			if pv := tr.Eval.Previous; pv != nil {
				line += TeamTextf(lang, "model.vs", pv.ID, decimal(lang, "%.3f", pv.AUC))
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

// decimal is v written by format with lang's decimal separator: "0.781",
// «0,781».
func decimal(lang, format string, v float64) string {
	s := fmt.Sprintf(format, v)
	if TeamLang(lang) == LangRU {
		return strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// horizonText is a model's horizon: "30d", «30 дн.».
func horizonText(lang string, hours float64) string {
	h := days(hours)
	if TeamLang(lang) == LangRU {
		h = strings.NewReplacer("d", " дн.", "h", " ч").Replace(h)
	}
	return h
}
