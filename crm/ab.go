package crm

import (
	"context"
	"math"
	"time"
)

// FlowExperiment is an experiment of a flow as the flow file defines it
// (flows.Experiment), what /ab needs of it: its arms in order (the first
// is the baseline) with their weights, and the step it varies ("" for
// the whole flow).
type FlowExperiment struct {
	ID, Flow, Step string
	Variants       []Variant
}

// ExperimentCounts are the facts of one arm's leads created in a period.
// Leads is every lead given the arm. Started is, for a step's experiment,
// the leads that were asked the step (answered it or wait on it), and
// for a whole flow's, those that answered a first question. Completed
// finished the dialogue, Qualified finished it warm or hot (every
// finished dialogue has the stage "qualified", so that alone would only
// repeat Completed), Hot finished it hot, Won were won.
type ExperimentCounts struct {
	Experiment, Variant                            string
	Leads, Started, Completed, Qualified, Hot, Won int
}

// ABRate is one figure of an arm as a share of its leads, with its 95%
// Wilson interval and the probability that it beats the baseline's (NaN
// for the baseline itself).
type ABRate struct {
	Count        int
	Rate, Lo, Hi float64
	BeatsFirst   float64
}

// ABVariant is one arm's results.
type ABVariant struct {
	ID                                      string
	Weight                                  int // 0 for an arm the file no longer has
	Leads                                   int
	Started, Completed, Qualified, Hot, Won ABRate
}

// ABExperiment is what /ab shows of one experiment.
type ABExperiment struct {
	FlowExperiment
	Variants []ABVariant
	// SRM is the p-value of the leads' split against the weights (the
	// arms the file has); below 0.01 SRMFlag is set and the comparison is
	// not to be trusted.
	SRM     float64
	SRMFlag bool
}

// ABReport is /ab for a period.
type ABReport struct {
	Period      Period
	Experiments []ABExperiment
}

// ExperimentStore counts the arms' leads (StatsStore on PostgreSQL has
// it). steps maps each experiment to the step it varies ("" for a whole
// flow's).
type ExperimentStore interface {
	Experiments(ctx context.Context, from, to time.Time, steps map[string]string) ([]ExperimentCounts, error)
}

// SetExperiments gives /ab the flows' experiments and where to count
// them.
func (s *Stats) SetExperiments(store ExperimentStore, xs []FlowExperiment) {
	s.abStore, s.experiments = store, xs
}

// AB answers /ab: heads and admins only, as it covers every lead.
func (s *Stats) AB(ctx context.Context, m Manager, p Period) (*ABReport, error) {
	if !SeesAll(m) {
		return nil, Errorf(EFORBIDDEN, "/ab is for heads of sales and admins.")
	}
	if s.abStore == nil || len(s.experiments) == 0 {
		return nil, Errorf(ENOTFOUND, "No flow has experiments: add experiments: to a flow file (see the README).")
	}
	steps := make(map[string]string, len(s.experiments))
	for _, x := range s.experiments {
		steps[x.ID] = x.Step
	}
	counts, err := s.abStore.Experiments(ctx, p.From, p.To, steps)
	if err != nil {
		return nil, err
	}
	r := &ABReport{Period: p}
	for _, x := range s.experiments {
		r.Experiments = append(r.Experiments, ABResults(x, counts))
	}
	return r, nil
}

// ABResults works out one experiment's report from the counts: the arms
// in the file's order, then any arm leads still have that the file no
// longer lists (weight 0, left out of the sample-ratio test).
func ABResults(x FlowExperiment, counts []ExperimentCounts) ABExperiment {
	byArm := map[string]ExperimentCounts{}
	var gone []string
	listed := map[string]bool{}
	for _, v := range x.Variants {
		listed[v.ID] = true
	}
	for _, c := range counts {
		if c.Experiment != x.ID {
			continue
		}
		byArm[c.Variant] = c
		if !listed[c.Variant] {
			gone = append(gone, c.Variant)
		}
	}
	out := ABExperiment{FlowExperiment: x}
	var leads, weights []int
	arm := func(id string, weight int) {
		c := byArm[id]
		v := ABVariant{ID: id, Weight: weight, Leads: c.Leads}
		var first *ABVariant
		if len(out.Variants) > 0 {
			first = &out.Variants[0]
		}
		rate := func(k int, base func(*ABVariant) ABRate) ABRate {
			r := ABRate{Count: k, BeatsFirst: math.NaN()}
			if c.Leads > 0 {
				r.Rate = float64(k) / float64(c.Leads)
			}
			r.Lo, r.Hi = Wilson(k, c.Leads)
			if first != nil {
				r.BeatsFirst = ProbBeats(base(first).Count, first.Leads, k, c.Leads)
			}
			return r
		}
		v.Started = rate(c.Started, func(f *ABVariant) ABRate { return f.Started })
		v.Completed = rate(c.Completed, func(f *ABVariant) ABRate { return f.Completed })
		v.Qualified = rate(c.Qualified, func(f *ABVariant) ABRate { return f.Qualified })
		v.Hot = rate(c.Hot, func(f *ABVariant) ABRate { return f.Hot })
		v.Won = rate(c.Won, func(f *ABVariant) ABRate { return f.Won })
		out.Variants = append(out.Variants, v)
		if weight > 0 {
			leads, weights = append(leads, c.Leads), append(weights, weight)
		}
	}
	for _, v := range x.Variants {
		arm(v.ID, v.Weight)
	}
	for _, id := range gone {
		arm(id, 0)
	}
	out.SRM = SampleRatioMismatch(leads, weights)
	out.SRMFlag = out.SRM < 0.01
	return out
}
