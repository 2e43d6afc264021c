package bot

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// FlowExperiments lists the flows' experiments for /ab, by flow id and
// then in file order.
func FlowExperiments(fl map[string]*flows.Flow) []crm.FlowExperiment {
	var out []crm.FlowExperiment
	for _, id := range slices.Sorted(maps.Keys(fl)) {
		for _, e := range fl[id].Experiments {
			x := crm.FlowExperiment{ID: e.ID, Flow: id, Step: e.Step}
			for _, v := range e.Variants {
				x.Variants = append(x.Variants, crm.Variant{ID: v.ID, Weight: v.Weight})
			}
			out = append(out, x)
		}
	}
	return out
}

// RenderAB is /ab in English.
func RenderAB(r *crm.ABReport) string { return RenderABIn(LangEN, r) }

// RenderABIn is the /ab text in lang: per flow experiment and arm, of the
// period's leads given the arm, how many started, completed, qualified
// (warm or hot), were hot and were won, each as a share of the arm's
// leads with its 95% interval and, past the first arm, the chance that it
// beats the first arm's; then the split against the weights.
func RenderABIn(lang string, r *crm.ABReport) string {
	var b strings.Builder
	b.WriteString(TeamTextf(lang, "ab.title", r.Period.Name, PeriodLabel(lang, r.Period)) + "\n")
	b.WriteString(TeamText(lang, "ab.intro") + "\n")
	for _, x := range r.Experiments {
		what := TeamText(lang, "ab.whole")
		if x.Step != "" {
			what = TeamTextf(lang, "ab.step", x.Step)
		}
		b.WriteString("\n" + TeamTextf(lang, "ab.experiment", x.ID, x.Flow, what) + "\n")
		total := 0
		for _, v := range x.Variants {
			total += v.Weight
		}
		for i, v := range x.Variants {
			share := TeamText(lang, "ab.gone")
			if v.Weight > 0 && total > 0 {
				share = TeamTextf(lang, "ab.weight", v.Weight, Percent(float64(v.Weight)/float64(total)))
			}
			fmt.Fprintf(&b, "%s (%s): %s\n", v.ID, share, Count(lang, v.Leads, "n.leads"))
			for _, m := range []struct {
				key string
				r   crm.ABRate
			}{{"started", v.Started}, {"completed", v.Completed}, {"qualified", v.Qualified}, {"hot", v.Hot}, {"won", v.Won}} {
				line := fmt.Sprintf("  %-9s %4d  %s", TeamText(lang, "ab.m."+m.key), m.r.Count, rateCI(lang, m.r.Rate, m.r.Lo, m.r.Hi))
				if i > 0 && !math.IsNaN(m.r.BeatsFirst) {
					line += "  " + TeamTextf(lang, "ab.beats", x.Variants[0].ID, fmt.Sprintf("%.0f%%", 100*m.r.BeatsFirst))
				}
				b.WriteString(line + "\n")
			}
		}
		if x.SRMFlag {
			b.WriteString(TeamTextf(lang, "ab.srm", decimal(lang, "%.4f", x.SRM)) + "\n")
		} else {
			b.WriteString(TeamTextf(lang, "ab.split_ok", decimal(lang, "%.2f", x.SRM)) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
