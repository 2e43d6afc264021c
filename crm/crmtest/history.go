package crmtest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/voronka/voronka/crm"
)

// History describes synthetic outcomes drawn from a known logistic model,
// for the learning's tests and benchmarks.
type History struct {
	Leads int
	Seed  uint64
	// Start is the first qualification; leads arrive Every apart.
	Start time.Time
	Every time.Duration
	// Intercept and the true effects, in log-odds, of: need=buy,
	// need=price (need=support is the base), budget (per unit of
	// log10(1+budget)), source=ads, and noise (a choice with no effect).
	Intercept, Buy, Price, Budget, Ads float64
	// Extra adds this many one-hot choice steps with no effect, each
	// with three options (for wide benchmarks).
	Extra int
}

// Generate draws the leads. The answers are stored with their kinds as
// the dialogue stores them; QualifiedAt rises with the index. It also
// returns each lead's true probability.
func (h History) Generate() ([]crm.LeadOutcome, []float64) {
	r := rand.New(rand.NewPCG(h.Seed, h.Seed^0x9e3779b97f4a7c15))
	out := make([]crm.LeadOutcome, h.Leads)
	truth := make([]float64, h.Leads)
	for i := range out {
		created := h.Start.Add(time.Duration(i) * h.Every)
		qualified := created.Add(time.Duration(2+r.IntN(10)) * time.Minute)
		z := h.Intercept
		need := []string{"buy", "price", "support"}[r.IntN(3)]
		switch need {
		case "buy":
			z += h.Buy
		case "price":
			z += h.Price
		}
		budget := math.Round(math.Pow(10, 1+4*r.Float64()))
		z += h.Budget * math.Log10(1+budget)
		source := []string{"ads", "organic"}[r.IntN(2)]
		if source == "ads" {
			z += h.Ads
		}
		answers := []crm.Answer{
			{StepID: "need", Kind: "choice", Value: need},
			{StepID: "budget", Kind: "number", Value: strconv.FormatFloat(budget, 'f', -1, 64)},
			{StepID: "noise", Kind: "choice", Value: []string{"a", "b"}[r.IntN(2)]},
		}
		for e := range h.Extra {
			answers = append(answers, crm.Answer{StepID: "extra" + strconv.Itoa(e), Kind: "choice", Value: strconv.Itoa(r.IntN(3))})
		}
		p := crm.Sigmoid(z)
		truth[i] = p
		score := 0
		if need == "buy" {
			score += 30
		}
		if budget >= 1000 {
			score += 30
		}
		out[i] = crm.LeadOutcome{
			Facts: crm.LeadFacts{
				Lead: crm.Lead{ID: int64(i + 1), FlowID: "qualify", Score: score, CreatedAt: created, QualifiedAt: &qualified,
					Attribution: crm.Attribution{Source: source}},
				Language: "ru",
				Answers:  answers,
			},
			Won: r.Float64() < p,
		}
	}
	return out, truth
}
