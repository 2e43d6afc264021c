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

// RenderAB is the /ab text: per flow experiment and arm, of the period's
// leads given the arm, how many started, completed, qualified (warm or
// hot), were hot and were won, each as a share of the arm's leads with
// its 95% interval and, past the first arm, the chance that it beats the
// first arm's; then the split against the weights.
func RenderAB(r *crm.ABReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🧪 Experiments · %s · %s\n", r.Period.Name, r.Period.Label())
	b.WriteString("Shares of each arm's leads [95% interval]; P(beats …) against the first arm\n")
	for _, x := range r.Experiments {
		what := "whole flow"
		if x.Step != "" {
			what = "step " + x.Step
		}
		fmt.Fprintf(&b, "\n%s (flow %s, %s)\n", x.ID, x.Flow, what)
		total := 0
		for _, v := range x.Variants {
			total += v.Weight
		}
		for i, v := range x.Variants {
			share := "no longer in the flow"
			if v.Weight > 0 && total > 0 {
				share = fmt.Sprintf("weight %d = %s", v.Weight, Percent(float64(v.Weight)/float64(total)))
			}
			fmt.Fprintf(&b, "%s (%s): %d leads\n", v.ID, share, v.Leads)
			for _, m := range []struct {
				name string
				r    crm.ABRate
			}{{"started", v.Started}, {"completed", v.Completed}, {"qualified", v.Qualified}, {"hot", v.Hot}, {"won", v.Won}} {
				line := fmt.Sprintf("  %-9s %4d  %s", m.name, m.r.Count, rateCI(m.r.Rate, m.r.Lo, m.r.Hi))
				if i > 0 && !math.IsNaN(m.r.BeatsFirst) {
					line += fmt.Sprintf("  P(beats %s) %.0f%%", x.Variants[0].ID, 100*m.r.BeatsFirst)
				}
				b.WriteString(line + "\n")
			}
		}
		if x.SRMFlag {
			fmt.Fprintf(&b, "⚠️ sample ratio mismatch (p = %.4f): the leads' split does not match the weights; do not trust the comparison\n", x.SRM)
		} else {
			fmt.Fprintf(&b, "Split matches the weights (p = %.2f)\n", x.SRM)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
