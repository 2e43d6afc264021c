package crm

import (
	"math"
	"sort"
	"time"
)

// ModelEvaluation is how a model did on the held-out leads: the most
// recent ones by qualification time, which it never saw in training.
type ModelEvaluation struct {
	TrainLeads int       `json:"train_leads"`
	TrainWon   int       `json:"train_won"`
	TrainLost  int       `json:"train_lost"`
	TrainFrom  time.Time `json:"train_from"`
	TrainTo    time.Time `json:"train_to"`
	TestLeads  int       `json:"test_leads"`
	TestWon    int       `json:"test_won"`
	TestLost   int       `json:"test_lost"`
	TestFrom   time.Time `json:"test_from"`
	TestTo     time.Time `json:"test_to"`
	// AUC: the chance that a won lead gets a higher probability than a
	// lead that was not won (0.5 is a coin, 1 is perfect).
	AUC float64 `json:"auc"`
	// Brier is the mean squared error of the probabilities (lower is
	// better; always saying the base rate r scores r(1-r)).
	Brier float64 `json:"brier"`
	// ScoreAUC is the flow's YAML score's AUC on the same leads.
	ScoreAUC    float64          `json:"score_auc"`
	Calibration []CalibrationBin `json:"calibration"`
	// Previous is the model that was in use, judged on the same held-out
	// leads; nil when there was none.
	Previous *PreviousModel `json:"previous,omitempty"`
}

// PreviousModel is the model in use when a new one was trained, judged on
// the new one's held-out leads.
type PreviousModel struct {
	ID    int64   `json:"id"`
	AUC   float64 `json:"auc"`
	Brier float64 `json:"brier"`
}

// CalibrationBin is one decile of the held-out leads by predicted
// probability: what the model said on average and what happened.
type CalibrationBin struct {
	Leads     int     `json:"leads"`
	Predicted float64 `json:"predicted"` // mean probability
	Won       int     `json:"won"`
}

// Observed is the share of the bin's leads that were won.
func (b CalibrationBin) Observed() float64 {
	if b.Leads == 0 {
		return 0
	}
	return float64(b.Won) / float64(b.Leads)
}

// AUC is the area under the ROC curve of scores p against outcomes won:
// the Mann-Whitney statistic, ties counted as half. It is NaN when either
// class is empty.
func AUC(p []float64, won []bool) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var pos, neg int
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2 // average of ranks i+1..j
		for k := i; k < j; k++ {
			if won[idx[k]] {
				pos++
				rankSum += rank
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// Brier is the mean of (p - won)²; NaN for no leads.
func Brier(p []float64, won []bool) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for i, pi := range p {
		y := 0.0
		if won[i] {
			y = 1
		}
		s += (pi - y) * (pi - y)
	}
	return s / float64(len(p))
}

// Calibration cuts the leads into ten bins of (nearly) equal size by
// predicted probability, lowest first. With fewer than ten leads there
// are fewer bins.
func Calibration(p []float64, won []bool) []CalibrationBin {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	bins := min(10, len(p))
	out := make([]CalibrationBin, 0, bins)
	for b := range bins {
		lo, hi := b*len(p)/bins, (b+1)*len(p)/bins
		var bin CalibrationBin
		for _, i := range idx[lo:hi] {
			bin.Leads++
			bin.Predicted += p[i]
			if won[i] {
				bin.Won++
			}
		}
		if bin.Leads > 0 {
			bin.Predicted /= float64(bin.Leads)
		}
		out = append(out, bin)
	}
	return out
}

// Better reports whether a model with (auc, brier) does better than one
// with (prevAUC, prevBrier) on the same leads: a higher AUC, or the same
// AUC (to 1e-9) and a lower Brier score. A NaN AUC is never better.
func Better(auc, brier, prevAUC, prevBrier float64) bool {
	switch {
	case math.IsNaN(auc):
		return false
	case math.IsNaN(prevAUC):
		return true
	case math.Abs(auc-prevAUC) > 1e-9:
		return auc > prevAUC
	}
	return brier < prevBrier
}
