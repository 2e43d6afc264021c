package crm

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LeadOutcome is a qualified lead whose outcome is known: won within the
// horizon, or not (lost, or still open past the horizon).
type LeadOutcome struct {
	Facts LeadFacts
	Won   bool
}

// ModelStore keeps the models and reads the outcomes they learn from.
type ModelStore interface {
	// Outcomes returns the qualified leads whose outcome is known at now
	// (won; lost; or qualified at least horizon before now), with the
	// answers given by qualification, oldest qualification first. Won
	// means won within horizon of qualification. Leads of erased
	// contacts are never returned.
	Outcomes(ctx context.Context, horizon time.Duration, now time.Time) ([]LeadOutcome, error)
	// OutcomeCounts counts what Outcomes would return.
	OutcomeCounts(ctx context.Context, horizon time.Duration, now time.Time) (won, lost int, err error)
	// SaveModel stores m, filling m.ID. When m.Current it replaces the
	// model in use in the same transaction.
	SaveModel(ctx context.Context, m *WinModel) error
	// CurrentModel is the model in use, ENOTFOUND when there is none.
	CurrentModel(ctx context.Context) (*WinModel, error)
	// Models lists the latest models, newest first.
	Models(ctx context.Context, limit int) ([]WinModel, error)
}

// Fitter fits a logistic regression with an L2 penalty. x holds rows
// rows of cols standardised features (row-major), y is 1 for a win and 0
// otherwise; the penalty l2/2·|w|² on the weights (not the intercept) is
// added to the mean log-loss. It returns the intercept and the weights.
// cmd/internal/learn implements it with gonum's optimize.
type Fitter interface {
	FitLogistic(ctx context.Context, x []float64, rows, cols int, y []float64, l2 float64) (intercept float64, w []float64, err error)
}

// ModelPolicy is the config of learning.
type ModelPolicy struct {
	// Horizon: the model predicts a win within this long of
	// qualification (30d).
	Horizon time.Duration
	// MinWon and MinLost are the outcomes needed before a model is
	// trained (30 and 30); until then the YAML score stands alone.
	MinWon, MinLost int
	// Holdout is the most recent share of the outcomes kept for
	// evaluation (0.2).
	Holdout float64
	// L2 is the penalty on the standardised weights (0.01).
	L2 float64
	// MinSupport is how many training leads must have a feature for it to
	// get a weight (5): a campaign seen twice teaches only noise.
	MinSupport int
	// TimeZone cuts arrival hours and weekdays.
	TimeZone *time.Location
	// Flow names the answers of /model's features (the default flow).
	Flow string
}

func (p ModelPolicy) withDefaults() ModelPolicy {
	if p.Horizon <= 0 {
		p.Horizon = 30 * 24 * time.Hour
	}
	if p.MinWon <= 0 {
		p.MinWon = 30
	}
	if p.MinLost <= 0 {
		p.MinLost = 30
	}
	if p.Holdout <= 0 || p.Holdout >= 1 {
		p.Holdout = 0.2
	}
	if p.L2 <= 0 {
		p.L2 = 0.01
	}
	if p.MinSupport <= 0 {
		p.MinSupport = 5
	}
	if p.TimeZone == nil {
		p.TimeZone = time.UTC
	}
	return p
}

// Learning trains the win model from outcomes and scores leads with the
// one in use. The model in use is read from the store at most once a
// ModelRefresh, so a model another replica promoted reaches every card
// within a minute.
type Learning struct {
	store  ModelStore
	fitter Fitter
	labels Labeler
	policy ModelPolicy
	clock  Clock

	mu       sync.Mutex
	current  *WinModel
	loadedAt time.Time
	loaded   bool
}

// ModelRefresh is how long Learning keeps the model in use before asking
// the store again.
const ModelRefresh = time.Minute

// NewLearning wires the learning. labels makes feature names readable
// (nil leaves them as they are).
func NewLearning(store ModelStore, fitter Fitter, labels Labeler, policy ModelPolicy, clock Clock) *Learning {
	if clock == nil {
		clock = ClockFunc(time.Now)
	}
	return &Learning{store: store, fitter: fitter, labels: labels, policy: policy.withDefaults(), clock: clock}
}

// Policy is the learning's config, defaults applied.
func (l *Learning) Policy() ModelPolicy { return l.policy }

// TrainResult is what one training did.
type TrainResult struct {
	// Skipped says why no model was trained ("" when one was).
	Skipped   string
	Won, Lost int
	Model     *WinModel // the new model, stored; nil when skipped
	Promoted  bool
}

// Train fits a model on the older outcomes, evaluates it on the most
// recent Holdout share of them (by qualification time: every training
// lead was qualified before every held-out one), stores it with its
// evaluation, and makes it the model in use when there is none or when it
// does better than the one in use on the same held-out leads (Better).
func (l *Learning) Train(ctx context.Context, now time.Time) (*TrainResult, error) {
	p := l.policy
	outcomes, err := l.store.Outcomes(ctx, p.Horizon, now)
	if err != nil {
		return nil, fmt.Errorf("train model: %w", err)
	}
	res := &TrainResult{}
	for _, o := range outcomes {
		if o.Won {
			res.Won++
		} else {
			res.Lost++
		}
	}
	if res.Won < p.MinWon || res.Lost < p.MinLost {
		res.Skipped = fmt.Sprintf("not enough outcomes: %d won and %d not won, %d and %d needed", res.Won, res.Lost, p.MinWon, p.MinLost)
		return res, nil
	}
	train, test := SplitByTime(outcomes, p.Holdout)
	var ev ModelEvaluation
	count(train, &ev.TrainLeads, &ev.TrainWon, &ev.TrainLost, &ev.TrainFrom, &ev.TrainTo)
	count(test, &ev.TestLeads, &ev.TestWon, &ev.TestLost, &ev.TestFrom, &ev.TestTo)
	if ev.TestWon == 0 || ev.TestLost == 0 || ev.TrainWon == 0 || ev.TrainLost == 0 {
		res.Skipped = fmt.Sprintf("the training (%d won, %d not) or the held-out period (%d won, %d not) lacks one outcome",
			ev.TrainWon, ev.TrainLost, ev.TestWon, ev.TestLost)
		return res, nil
	}
	m, err := l.fit(ctx, train)
	if err != nil {
		return nil, err
	}
	m.TrainedAt, m.Horizon = now, p.Horizon
	xs := make([]Features, len(test))
	won := make([]bool, len(test))
	scores := make([]float64, len(test))
	for i, o := range test {
		xs[i], won[i], scores[i] = FeaturesOf(o.Facts, p.TimeZone), o.Won, float64(o.Facts.Lead.Score)
	}
	probs := predictAll(m, xs)
	ev.AUC, ev.Brier, ev.Calibration = AUC(probs, won), Brier(probs, won), Calibration(probs, won)
	ev.ScoreAUC = AUC(scores, won)
	cur, err := l.store.CurrentModel(ctx)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		cur = nil
	case err != nil:
		return nil, fmt.Errorf("train model: %w", err)
	}
	m.Current = true
	if cur != nil {
		cp := predictAll(cur, xs)
		ev.Previous = &PreviousModel{ID: cur.ID, AUC: AUC(cp, won), Brier: Brier(cp, won)}
		m.Current = Better(ev.AUC, ev.Brier, ev.Previous.AUC, ev.Previous.Brier)
	}
	m.Eval = ev
	if err := l.store.SaveModel(ctx, m); err != nil {
		return nil, fmt.Errorf("train model: %w", err)
	}
	res.Model, res.Promoted = m, m.Current
	if m.Current {
		l.mu.Lock()
		l.current, l.loadedAt, l.loaded = m, l.clock.Now(), true
		l.mu.Unlock()
	}
	return res, nil
}

// Sweep is Train for the scheduler.
func (l *Learning) Sweep(ctx context.Context, now time.Time) error {
	_, err := l.Train(ctx, now)
	return err
}

func predictAll(m *WinModel, xs []Features) []float64 {
	p := make([]float64, len(xs))
	for i, x := range xs {
		p[i] = m.Probability(x)
	}
	return p
}

func count(os []LeadOutcome, n, won, lost *int, from, to *time.Time) {
	*n = len(os)
	for i, o := range os {
		if o.Won {
			*won++
		} else {
			*lost++
		}
		at := qualifiedAt(o)
		if i == 0 || at.Before(*from) {
			*from = at
		}
		if at.After(*to) {
			*to = at
		}
	}
}

func qualifiedAt(o LeadOutcome) time.Time {
	if o.Facts.Lead.QualifiedAt != nil {
		return *o.Facts.Lead.QualifiedAt
	}
	return o.Facts.Lead.CreatedAt
}

// SplitByTime sorts the outcomes by qualification time and keeps the
// latest holdout share for evaluation. Leads qualified at the same instant
// stay on the same side, so every training lead is strictly older than
// every held-out one.
func SplitByTime(outcomes []LeadOutcome, holdout float64) (train, test []LeadOutcome) {
	os := slices.Clone(outcomes)
	sort.SliceStable(os, func(i, j int) bool { return qualifiedAt(os[i]).Before(qualifiedAt(os[j])) })
	cut := len(os) - int(math.Ceil(float64(len(os))*holdout))
	for cut > 0 && cut < len(os) && qualifiedAt(os[cut-1]).Equal(qualifiedAt(os[cut])) {
		cut--
	}
	return os[:cut], os[cut:]
}

// fit builds the design matrix of the training leads (features seen in at
// least MinSupport of them, standardised) and has the Fitter fit it; the
// weights are turned back to the features' own scale.
func (l *Learning) fit(ctx context.Context, train []LeadOutcome) (*WinModel, error) {
	p := l.policy
	xs := make([]Features, len(train))
	support := map[string]int{}
	for i, o := range train {
		xs[i] = FeaturesOf(o.Facts, p.TimeZone)
		for name, v := range xs[i] {
			if v != 0 {
				support[name]++
			}
		}
	}
	var names []string
	for name, n := range support {
		if n >= p.MinSupport {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	col := make(map[string]int, len(names))
	for j, name := range names {
		col[name] = j
	}
	rows, cols := len(train), len(names)
	x := make([]float64, rows*cols)
	y := make([]float64, rows)
	for i, f := range xs {
		for name, v := range f {
			if j, ok := col[name]; ok {
				x[i*cols+j] = v
			}
		}
		if train[i].Won {
			y[i] = 1
		}
	}
	feats := make([]ModelFeature, cols)
	for j, name := range names {
		var s, ss float64
		for i := range rows {
			v := x[i*cols+j]
			s += v
			ss += v * v
		}
		mean := s / float64(rows)
		sd := math.Sqrt(math.Max(ss/float64(rows)-mean*mean, 0))
		if sd == 0 {
			sd = 1
		}
		feats[j] = ModelFeature{Name: name, Mean: mean, Scale: sd}
		for i := range rows {
			x[i*cols+j] = (x[i*cols+j] - mean) / sd
		}
	}
	b, w, err := l.fitter.FitLogistic(ctx, x, rows, cols, y, p.L2)
	if err != nil {
		return nil, fmt.Errorf("fit model: %w", err)
	}
	if len(w) != cols {
		return nil, fmt.Errorf("fit model: %d weights for %d features", len(w), cols)
	}
	m := &WinModel{Intercept: b, Features: feats}
	for j := range feats {
		feats[j].Weight = w[j] / feats[j].Scale
		m.Intercept -= feats[j].Weight * feats[j].Mean
	}
	return m, nil
}

// Current is the model in use, nil when there is none. It is read from
// the store at most once a ModelRefresh.
func (l *Learning) Current(ctx context.Context) (*WinModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.loaded && now.Sub(l.loadedAt) < ModelRefresh {
		return l.current, nil
	}
	m, err := l.store.CurrentModel(ctx)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		m = nil
	case err != nil:
		return nil, fmt.Errorf("current model: %w", err)
	}
	l.current, l.loadedAt, l.loaded = m, now, true
	return m, nil
}

// WinEstimator scores leads with the model in use (Learning is one).
// Cards, /lead, the export and the routing queue use it; an error leaves
// the probability out and nothing else.
type WinEstimator interface {
	Estimate(ctx context.Context, card *LeadCard) (*WinEstimate, error)
	Score(ctx context.Context, f LeadFacts) (p float64, ok bool, err error)
}

var _ WinEstimator = (*Learning)(nil)

// WinEstimate is a lead's predicted win probability as a card shows it.
type WinEstimate struct {
	// Ready is false while there is no model (not enough outcomes yet):
	// the card says so and the YAML score stands alone.
	Ready       bool
	Probability float64
	ModelID     int64
	Horizon     time.Duration
	// Raised and Lowered are the (up to) three features that moved this
	// lead most from the average one, each way.
	Raised, Lowered []Contribution
	MinWon, MinLost int
}

// ExplainShown is how many features a card names each way.
const ExplainShown = 3

// Estimate scores a card with the model in use. It must see the card's
// answers as stored (option ids, Kind set), before labelling.
func (l *Learning) Estimate(ctx context.Context, card *LeadCard) (*WinEstimate, error) {
	m, err := l.Current(ctx)
	if err != nil {
		return nil, err
	}
	est := &WinEstimate{MinWon: l.policy.MinWon, MinLost: l.policy.MinLost, Horizon: l.policy.Horizon}
	if m == nil {
		return est, nil
	}
	facts := LeadFacts{Lead: card.Lead, Language: card.Contact.Language}
	for _, a := range card.Answers {
		facts.Answers = append(facts.Answers, Answer{StepID: a.Question, Kind: a.Kind, Value: a.Value})
	}
	x := FeaturesOf(facts, l.policy.TimeZone)
	est.Ready, est.Probability, est.ModelID, est.Horizon = true, m.Probability(x), m.ID, m.Horizon
	est.Raised, est.Lowered = m.Explain(x, ExplainShown)
	for _, cs := range [][]Contribution{est.Raised, est.Lowered} {
		for i := range cs {
			cs[i].Name = l.FeatureName(&card.Lead, cs[i].Feature, x[cs[i].Feature])
			cs[i].Label = cs[i].Name.English()
		}
	}
	return est, nil
}

// Score is the probability of a lead from its facts (export, routing), ok
// false when there is no model in use.
func (l *Learning) Score(ctx context.Context, f LeadFacts) (float64, bool, error) {
	m, err := l.Current(ctx)
	if err != nil || m == nil {
		return 0, false, err
	}
	return m.Probability(FeaturesOf(f, l.policy.TimeZone)), true, nil
}

// FeatureLabel is a feature as the team reads it in English: "Budget:
// 1 500 000", "What brings you: Buy", "source google", "arrived on Mon".
// lead gives the flow whose questions name the answers (nil: the ids as
// they are); v is the lead's value of a numeric feature (0 for a report).
func (l *Learning) FeatureLabel(lead *Lead, name string, v float64) string {
	return l.FeatureName(lead, name, v).English()
}

// FeatureName is a feature taken apart for the team's words: what kind
// of fact it is (Form), about what (Subject: a question's label, an
// attribution key) and the value. An adapter writes it in the team's
// language; English is its own rendering.
type FeatureName struct {
	Form    string // one of the FeatureForm… constants
	Subject string
	Value   string
}

// FeatureName forms.
const (
	FeatureFormAnswer   = "answer"   // Subject: Value
	FeatureFormGiven    = "given"    // Subject answered at all
	FeatureFormHigher   = "higher"   // Subject, a number: the higher the more
	FeatureFormLonger   = "longer"   // the dialogue: the longer the more
	FeatureFormDialogue = "dialogue" // the dialogue took Value minutes
	FeatureFormHour     = "hour"     // arrived in the hours Value ("09-12")
	FeatureFormWeekday  = "weekday"  // arrived on Value ("Mon")
	FeatureFormAttr     = "attr"     // Subject (source, medium, campaign, language) Value
	FeatureFormRaw      = "raw"      // Subject, a name as it is
)

// English is f as an English label.
func (f FeatureName) English() string {
	switch f.Form {
	case FeatureFormAnswer:
		return f.Subject + ": " + f.Value
	case FeatureFormGiven:
		return f.Subject + " given"
	case FeatureFormHigher:
		return f.Subject + " (higher)"
	case FeatureFormLonger:
		return "dialogue length (longer)"
	case FeatureFormDialogue:
		return "dialogue took " + f.Value + " min"
	case FeatureFormHour:
		return "arrived " + f.Value + "h"
	case FeatureFormWeekday:
		return "arrived on " + f.Value
	case FeatureFormAttr:
		return f.Subject + " " + f.Value
	}
	return f.Subject
}

// FeatureName is the feature name taken apart (see FeatureLabel).
func (l *Learning) FeatureName(lead *Lead, name string, v float64) FeatureName {
	key, val, hasVal := strings.Cut(name, "=")
	switch {
	case strings.HasPrefix(name, featAnswer):
		step := strings.TrimPrefix(key, featAnswer)
		given := strings.HasSuffix(step, "?")
		step = strings.TrimSuffix(step, "?")
		a := CardAnswer{Question: step, Value: val}
		if !hasVal && !given && v != 0 {
			a.Value = strconv.FormatFloat(math.Round(math.Pow(10, v)-1), 'f', -1, 64)
		}
		if l.labels != nil && lead != nil {
			if got := l.labels.Label(lead, []CardAnswer{a}); len(got) == 1 {
				a = got[0]
			}
		}
		switch {
		case given:
			return FeatureName{Form: FeatureFormGiven, Subject: a.Question}
		case !hasVal && v == 0:
			return FeatureName{Form: FeatureFormHigher, Subject: a.Question}
		}
		return FeatureName{Form: FeatureFormAnswer, Subject: a.Question, Value: a.Value}
	case name == featDialogue:
		if v == 0 {
			return FeatureName{Form: FeatureFormLonger}
		}
		return FeatureName{Form: FeatureFormDialogue, Value: strconv.FormatFloat(math.Round(math.Expm1(v)), 'f', -1, 64)}
	case key == "hour":
		return FeatureName{Form: FeatureFormHour, Value: val}
	case key == "weekday":
		return FeatureName{Form: FeatureFormWeekday, Value: val}
	case hasVal:
		return FeatureName{Form: FeatureFormAttr, Subject: key, Value: val}
	}
	return FeatureName{Form: FeatureFormRaw, Subject: name}
}

// ModelReport is /model: the model in use, its evaluation and strongest
// features, the latest trainings, and the outcomes known now.
type ModelReport struct {
	Current   *WinModel
	Strongest []ModelFeature
	Labels    map[string]string      // feature name → readable, in English
	Names     map[string]FeatureName // feature name → taken apart, for the team's words
	Recent    []WinModel
	Won, Lost int
	Policy    ModelPolicy
}

// ModelStrongestShown and ModelRecentShown bound /model.
const (
	ModelStrongestShown = 6
	ModelRecentShown    = 5
)

// Report answers /model.
func (l *Learning) Report(ctx context.Context) (*ModelReport, error) {
	r := &ModelReport{Policy: l.policy, Labels: map[string]string{}, Names: map[string]FeatureName{}}
	var err error
	if r.Won, r.Lost, err = l.store.OutcomeCounts(ctx, l.policy.Horizon, l.clock.Now()); err != nil {
		return nil, fmt.Errorf("model report: %w", err)
	}
	if r.Recent, err = l.store.Models(ctx, ModelRecentShown); err != nil {
		return nil, fmt.Errorf("model report: %w", err)
	}
	cur, err := l.store.CurrentModel(ctx)
	switch {
	case ErrorCode(err) == ENOTFOUND:
	case err != nil:
		return nil, fmt.Errorf("model report: %w", err)
	default:
		r.Current = cur
		r.Strongest = cur.Strongest(ModelStrongestShown)
		for _, f := range r.Strongest {
			r.Names[f.Name] = l.FeatureName(&Lead{FlowID: l.policy.Flow}, f.Name, 0)
			r.Labels[f.Name] = r.Names[f.Name].English()
		}
	}
	return r, nil
}
