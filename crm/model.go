package crm

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LeadFacts is what was known of a lead when it was qualified: the
// model's input. Answers given after qualification (there are none in a
// finished flow, but a restarted lead may have some) are not facts of that
// moment and are left out by whoever gathers them.
type LeadFacts struct {
	Lead     Lead
	Language string // the contact's
	Answers  []Answer
}

// Features are a lead's facts as numbers, by name. Choices are one-hot
// ("answer:need=buy" is 1), a multiple choice sets one feature per chosen
// option, a number is scaled by log10(1+v) ("answer:budget"), free text,
// phones and emails count as given or not ("answer:email?"); source,
// medium, campaign and language are one-hot; the dialogue's length is
// log(1+minutes); the hour (in 3-hour blocks) and the weekday of arrival
// are one-hot in the deployment's time zone. A name not seen in training
// has no weight and is ignored when scoring.
type Features map[string]float64

// Feature name prefixes.
const (
	featAnswer   = "answer:"
	featDialogue = "dialogue_minutes"
)

// FeaturesOf turns facts into features, cutting hours and weekdays in tz.
func FeaturesOf(f LeadFacts, tz *time.Location) Features {
	if tz == nil {
		tz = time.UTC
	}
	x := Features{}
	for _, a := range f.Answers {
		if a.Value == "" {
			continue
		}
		switch a.Kind {
		case "choice":
			x[featAnswer+a.StepID+"="+a.Value] = 1
		case "multi":
			for _, o := range strings.Split(a.Value, ",") {
				if o != "" {
					x[featAnswer+a.StepID+"="+o] = 1
				}
			}
		case "number":
			if v, err := strconv.ParseFloat(a.Value, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
				x[featAnswer+a.StepID] = math.Log10(1 + math.Max(v, 0))
			}
		default:
			x[featAnswer+a.StepID+"?"] = 1
		}
	}
	at := f.Lead.Attribution
	for _, kv := range [][2]string{{"source", at.Source}, {"medium", at.Medium}, {"campaign", at.Campaign}, {"language", f.Language}} {
		if kv[1] != "" {
			x[kv[0]+"="+strings.ToLower(kv[1])] = 1
		}
	}
	end := f.Lead.UpdatedAt
	if f.Lead.QualifiedAt != nil {
		end = *f.Lead.QualifiedAt
	}
	if mins := end.Sub(f.Lead.CreatedAt).Minutes(); mins > 0 {
		x[featDialogue] = math.Log1p(mins)
	} else {
		x[featDialogue] = 0
	}
	arrived := f.Lead.CreatedAt.In(tz)
	h := arrived.Hour() / 3 * 3
	x["hour="+twoDigits(h)+"-"+twoDigits(h+3)] = 1
	x["weekday="+arrived.Weekday().String()[:3]] = 1
	return x
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ModelFeature is one weight of a model. Weight is on the feature's own
// scale (log-odds per unit); Mean and Scale (standard deviation) are the
// training leads', so Weight*Scale says how strong a feature is and
// Weight*(x-Mean) how much it moves one lead from the average one.
type ModelFeature struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Mean   float64 `json:"mean"`
	Scale  float64 `json:"scale"`
}

// Strength is the change in log-odds for one standard deviation.
func (f ModelFeature) Strength() float64 { return f.Weight * f.Scale }

// WinModel is one fitted model of P(won within Horizon | the lead's
// facts at qualification), with the evaluation it was judged by. Current
// marks the one in use: at most one is.
type WinModel struct {
	ID        int64
	TrainedAt time.Time
	Horizon   time.Duration
	Intercept float64
	Features  []ModelFeature // sorted by name
	Eval      ModelEvaluation
	Current   bool

	index map[string]int
}

func (m *WinModel) weights() map[string]int {
	if m.index == nil {
		m.index = make(map[string]int, len(m.Features))
		for i, f := range m.Features {
			m.index[f.Name] = i
		}
	}
	return m.index
}

// LogOdds is the model's log-odds of a win for x.
func (m *WinModel) LogOdds(x Features) float64 {
	idx := m.weights()
	z := m.Intercept
	for name, v := range x {
		if i, ok := idx[name]; ok {
			z += m.Features[i].Weight * v
		}
	}
	return z
}

// Probability is the model's probability of a win for x.
func (m *WinModel) Probability(x Features) float64 { return Sigmoid(m.LogOdds(x)) }

// Sigmoid is the logistic function.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Contribution is how far one feature moves a lead's log-odds away from
// the average training lead's: Weight*(x-Mean).
type Contribution struct {
	Feature string
	Label   string      // what the team reads in English, filled by Learning
	Name    FeatureName // Label taken apart, for another language
	LogOdds float64     // > 0 raised the probability
}

// Odds is the factor the contribution multiplies the odds by.
func (c Contribution) Odds() float64 { return math.Exp(c.LogOdds) }

// Explain returns the n features of x that raised the probability most
// and the n that lowered it most. Only features the lead has (x != 0) are
// considered: "not from campaign X" explains nothing to a rep.
func (m *WinModel) Explain(x Features, n int) (raised, lowered []Contribution) {
	idx := m.weights()
	var all []Contribution
	for name, v := range x {
		i, ok := idx[name]
		if !ok || v == 0 {
			continue
		}
		f := m.Features[i]
		if c := f.Weight * (v - f.Mean); c != 0 {
			all = append(all, Contribution{Feature: name, LogOdds: c})
		}
	}
	slices.SortFunc(all, func(a, b Contribution) int {
		if a.LogOdds != b.LogOdds {
			if a.LogOdds > b.LogOdds {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Feature, b.Feature)
	})
	for _, c := range all {
		if c.LogOdds > 0 && len(raised) < n {
			raised = append(raised, c)
		}
	}
	for i := len(all) - 1; i >= 0 && len(lowered) < n; i-- {
		if all[i].LogOdds < 0 {
			lowered = append(lowered, all[i])
		}
	}
	return raised, lowered
}

// Strongest returns the model's n features with the largest Strength, in
// either direction.
func (m *WinModel) Strongest(n int) []ModelFeature {
	fs := slices.Clone(m.Features)
	slices.SortStableFunc(fs, func(a, b ModelFeature) int {
		sa, sb := math.Abs(a.Strength()), math.Abs(b.Strength())
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(fs) > n {
		fs = fs[:n]
	}
	return fs
}
