package crm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scope limits a report to one manager's leads; ManagerID 0 is the whole
// team.
type Scope struct{ ManagerID int64 }

// TeamCommand is one command a manager gave, for the audit log.
type TeamCommand struct {
	ManagerID int64
	Manager   string
	Channel   string // "telegram", "slack", "digest"
	Command   string
	// Args is the argument as the command understood it (a period, a lead
	// id), never free text: /find's text and an argument the command
	// refused are not kept, because /forget could not reach them.
	Args   string
	LeadID int64 // the lead looked at (/lead), 0 otherwise
	// LeadIDs are the leads the command showed: /lead's one, the leads
	// /find returned. This, not the typed text, is what the log keeps of
	// a search.
	LeadIDs []int64
	Outcome string
	At      time.Time
}

// Stats answers the managers' questions. It decides what each role sees:
// heads and admins everything; a rep their own leads and the team's
// totals, never another rep's leads or figures.
type Stats struct {
	store  StatsStore
	cards  CardReader
	labels Labeler
	team   []Manager
	clock  Clock
	tz     *time.Location
	win    WinEstimator
	model  *Learning
	// messages, when set, gives /lead the conversation.
	messages interface {
		LastMessages(ctx context.Context, leadID int64, n int) ([]Message, error)
	}
	// The flows' experiments and their counts, for /ab.
	abStore     ExperimentStore
	experiments []FlowExperiment
}

// SetLearning makes /lead and the export show the predicted win
// probability and answers /model.
func (s *Stats) SetLearning(l *Learning) { s.win, s.model = l, l }

// Model answers /model: heads and admins only, as it describes the whole
// team's outcomes.
func (s *Stats) Model(ctx context.Context, m Manager) (*ModelReport, error) {
	if !SeesAll(m) {
		return nil, Errorf(EFORBIDDEN, "/model is for heads of sales and admins.")
	}
	if s.model == nil {
		return nil, Errorf(ENOTFOUND, "Win probability is not set up in this deployment.")
	}
	return s.model.Report(ctx)
}

// NewStats wires the reports. team is the configured team with ids (after
// Sales.Sync); tz the deployment's default time zone.
func NewStats(store StatsStore, cards CardReader, labels Labeler, team []Manager, clock Clock, tz *time.Location) *Stats {
	if tz == nil {
		tz = time.UTC
	}
	if clock == nil {
		clock = ClockFunc(time.Now)
	}
	return &Stats{store: store, cards: cards, labels: labels, team: team, clock: clock, tz: tz}
}

// SeesAll reports whether m sees every lead and every rep's figures.
func SeesAll(m Manager) bool { return m.Role == RoleHead || m.Role == RoleAdmin }

// Members is the configured team with ids.
func (s *Stats) Members() []Manager { return slices.Clone(s.team) }

// Now is the reports' clock.
func (s *Stats) Now() time.Time { return s.clock.Now() }

// Location is m's time zone, the deployment's when m has none (or an
// unknown one, which config validation already refuses).
func (s *Stats) Location(m Manager) *time.Location {
	if m.TimeZone != "" {
		if loc, err := time.LoadLocation(m.TimeZone); err == nil {
			return loc
		}
	}
	return s.tz
}

// Period parses arg (def when empty) in m's time zone at the clock's now.
func (s *Stats) Period(m Manager, arg, def string) (Period, error) {
	if strings.TrimSpace(arg) == "" {
		arg = def
	}
	return ParsePeriod(arg, s.clock.Now(), s.Location(m))
}

// ManagerName is the name of the manager with id, "" if none.
func (s *Stats) ManagerName(id int64) string {
	for _, m := range s.team {
		if m.ID == id && id != 0 {
			return m.Name
		}
	}
	return ""
}

func scopeOf(m Manager) Scope {
	if SeesAll(m) {
		return Scope{}
	}
	return Scope{ManagerID: m.ID}
}

// SummaryFigures are one period's figures with the rates worked out.
type SummaryFigures struct {
	SummaryCounts
	LeadToQualified Ratio // of new leads, qualified by now
	QualifiedToSale Ratio // of those qualified, won by now
	RepeatShare     Ratio // repeat sales of the period's sales
	// MedianFirstContact is the median of FirstContact; HasMedian false
	// when nobody was contacted.
	MedianFirstContact time.Duration
	HasMedian          bool
}

func figures(c SummaryCounts) SummaryFigures {
	f := SummaryFigures{SummaryCounts: c,
		LeadToQualified: Ratio{c.CohortQualified, c.New},
		QualifiedToSale: Ratio{c.CohortWon, c.CohortQualified},
		RepeatShare:     Ratio{c.RepeatSales, c.Won},
	}
	f.MedianFirstContact, f.HasMedian = Median(c.FirstContact)
	return f
}

// Summary is /stats: the team's figures for the period and the one before
// it, and for a rep also their own.
type Summary struct {
	Period    Period
	Cur, Prev SummaryFigures
	// Own is the rep's own figures for the period; nil for heads and admins.
	Own *SummaryFigures
}

// Summary answers /stats for m.
func (s *Stats) Summary(ctx context.Context, m Manager, p Period) (*Summary, error) {
	cur, err := s.store.Summary(ctx, Scope{}, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	prev, err := s.store.Summary(ctx, Scope{}, p.PrevFrom, p.From)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	out := &Summary{Period: p, Cur: figures(cur), Prev: figures(prev)}
	if !SeesAll(m) {
		own, err := s.store.Summary(ctx, scopeOf(m), p.From, p.To)
		if err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		f := figures(own)
		out.Own = &f
	}
	return out, nil
}

// FunnelReport is /funnel.
type FunnelReport struct {
	Period      Period
	Stages      []FunnelStage
	Lost        int
	LostReasons []NamedCount
	Steps       []StepDrop
}

// FunnelStageNames are the funnel's stages as reported, top first.
var funnelStageNames = []string{"Leads", "Started dialogue", "Qualified", "Contacted", "Won"}

// Funnel answers /funnel: the team's funnel for leads created in the
// period (a funnel is an aggregate, so reps see the team's too).
func (s *Stats) Funnel(ctx context.Context, m Manager, p Period) (*FunnelReport, error) {
	c, err := s.store.Funnel(ctx, Scope{}, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	r := &FunnelReport{Period: p, Lost: c.Lost, LostReasons: c.LostReasons,
		Stages: FunnelStages(funnelStageNames, []int{c.Leads, c.Started, c.Qualified, c.Contacted, c.Won}),
		Steps:  DropOff(c.Steps),
	}
	for i, st := range r.Steps {
		r.Steps[i].Label = s.stepLabel(st.Flow, st.Step)
	}
	return r, nil
}

// stepLabel is the step's name as the sales team reads it on cards.
func (s *Stats) stepLabel(flow, step string) string {
	if s.labels == nil {
		return step
	}
	got := s.labels.Label(&Lead{FlowID: flow}, []CardAnswer{{Question: step}})
	if len(got) == 1 && got[0].Question != "" {
		return got[0].Question
	}
	return step
}

// NPSTrendWeeks is how many calendar weeks the NPS trend shows, ending
// with the period's last week, whatever the period: a trend of one point
// (a 7d period) says nothing.
const NPSTrendWeeks = 8

// NPSCommentsShown is how many of the latest comments /nps lists.
const NPSCommentsShown = 5

// NPSPoint is one week of the trend.
type NPSPoint struct {
	Week      time.Time
	Responses int
	Score     float64
	Has       bool
}

// NPSReport is /nps.
type NPSReport struct {
	Period Period
	NPSCounts
	Score    float64
	HasScore bool
	Trend    []NPSPoint
	Comments []NPSComment
	// Own is the rep's own NPS (answers of their leads); nil for heads.
	Own *NPSCounts
}

// NPS answers /nps. Comments are what customers wrote, so a rep sees only
// those of their own leads; the score and trend are the team's.
func (s *Stats) NPS(ctx context.Context, m Manager, p Period) (*NPSReport, error) {
	loc := p.Loc
	if loc == nil {
		loc = s.tz
	}
	lastWeek := WeekStart(p.To.Add(-time.Nanosecond).In(loc))
	weeksFrom := lastWeek.AddDate(0, 0, -7*(NPSTrendWeeks-1))
	counts, weeks, comments, err := s.store.NPS(ctx, Scope{}, p.From, p.To, weeksFrom, loc.String(), NPSCommentsShown)
	if err != nil {
		return nil, fmt.Errorf("nps: %w", err)
	}
	r := &NPSReport{Period: p, NPSCounts: counts, Comments: comments}
	r.Score, r.HasScore = counts.Score()
	byWeek := map[time.Time]NPSCounts{}
	for _, w := range weeks {
		byWeek[w.Week.In(loc)] = w.NPSCounts
	}
	for i := range NPSTrendWeeks {
		wk := weeksFrom.AddDate(0, 0, 7*i)
		c := byWeek[wk]
		pt := NPSPoint{Week: wk, Responses: c.Responses()}
		pt.Score, pt.Has = c.Score()
		r.Trend = append(r.Trend, pt)
	}
	if !SeesAll(m) {
		own, _, ownComments, err := s.store.NPS(ctx, scopeOf(m), p.From, p.To, p.To, loc.String(), NPSCommentsShown)
		if err != nil {
			return nil, fmt.Errorf("nps: %w", err)
		}
		r.Own, r.Comments = &own, ownComments
	}
	return r, nil
}

// RepFigures is one row of /team.
type RepFigures struct {
	RepCounts
	Name       string
	ToClaim    time.Duration
	HasClaim   bool
	ToContact  time.Duration
	HasContact bool
}

// TeamReport is /team: a row per manager who works leads, and the team's
// total. A rep gets their own row and the total only.
type TeamReport struct {
	Period Period
	Reps   []RepFigures
	Total  RepFigures
}

// Team answers /team.
func (s *Stats) Team(ctx context.Context, m Manager, p Period) (*TeamReport, error) {
	counts, err := s.store.Team(ctx, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("team: %w", err)
	}
	byID := map[int64]RepCounts{}
	for _, c := range counts {
		byID[c.ManagerID] = c
	}
	r := &TeamReport{Period: p, Total: RepFigures{Name: "Team"}}
	var total RepCounts
	for _, c := range counts {
		total.Open += c.Open
		total.Claimed += c.Claimed
		total.Contacted += c.Contacted
		total.Won += c.Won
		total.Revenue += c.Revenue
		total.Breaches += c.Breaches
		total.ToClaim = append(total.ToClaim, c.ToClaim...)
		total.ToContact = append(total.ToContact, c.ToContact...)
	}
	r.Total = repFigures(total, "Team")
	for _, tm := range s.team {
		if tm.Role == RoleAdmin && byID[tm.ID].ManagerID == 0 {
			continue // admins take no leads; list them only if they have some
		}
		if !SeesAll(m) && tm.ID != m.ID {
			continue
		}
		c := byID[tm.ID]
		c.ManagerID = tm.ID
		r.Reps = append(r.Reps, repFigures(c, tm.Name))
	}
	return r, nil
}

func repFigures(c RepCounts, name string) RepFigures {
	f := RepFigures{RepCounts: c, Name: name}
	f.ToClaim, f.HasClaim = Median(c.ToClaim)
	f.ToContact, f.HasContact = Median(c.ToContact)
	return f
}

// SourceRow is one row of /sources.
type SourceRow struct {
	SourceCounts
	QualifiedRate Ratio
	WinRate       Ratio
}

// SourcesShown is how many sources /sources lists before "other".
const SourcesShown = 10

// SourcesReport is /sources.
type SourcesReport struct {
	Period Period
	Rows   []SourceRow // most leads first; the rest summed as "other"
	Total  SourceRow
}

// Sources answers /sources for the team's leads created in the period.
func (s *Stats) Sources(ctx context.Context, m Manager, p Period) (*SourcesReport, error) {
	counts, err := s.store.Sources(ctx, Scope{}, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	return &SourcesReport{Period: p, Rows: SourceRows(counts, SourcesShown), Total: sourceRow(sumSources("Total", "", counts))}, nil
}

// SourceRows sorts by leads (then revenue, then name), keeps the first n
// and sums the rest into one "other" row. An empty source is "direct": a
// /start without a payload.
func SourceRows(counts []SourceCounts, n int) []SourceRow {
	c := slices.Clone(counts)
	for i := range c {
		if c[i].Source == "" {
			c[i].Source = "direct"
		}
	}
	slices.SortStableFunc(c, func(a, b SourceCounts) int {
		switch {
		case a.Leads != b.Leads:
			return b.Leads - a.Leads
		case a.Revenue != b.Revenue:
			if a.Revenue > b.Revenue {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Source+"/"+a.Campaign, b.Source+"/"+b.Campaign)
	})
	var out []SourceRow
	for i, sc := range c {
		if i == n && len(c) > n+1 {
			out = append(out, sourceRow(sumSources("other", "", c[n:])))
			break
		}
		out = append(out, sourceRow(sc))
	}
	return out
}

func sumSources(source, campaign string, cs []SourceCounts) SourceCounts {
	t := SourceCounts{Source: source, Campaign: campaign}
	for _, c := range cs {
		t.Leads += c.Leads
		t.Qualified += c.Qualified
		t.Won += c.Won
		t.Revenue += c.Revenue
	}
	return t
}

func sourceRow(c SourceCounts) SourceRow {
	return SourceRow{SourceCounts: c, QualifiedRate: Ratio{c.Qualified, c.Leads}, WinRate: Ratio{c.Won, c.Leads}}
}

// DefaultCohortWeeks is how many weekly cohorts /cohorts shows without a
// period.
const DefaultCohortWeeks = 8

// CohortReport is /cohorts.
type CohortReport struct {
	Period  Period // widened to whole weeks
	Cohorts []Cohort
}

// CohortPeriod widens p to whole local weeks (Monday to Monday).
func CohortPeriod(p Period) Period {
	from := WeekStart(p.From.In(p.Loc))
	to := WeekStart(p.To.Add(-time.Nanosecond).In(p.Loc)).AddDate(0, 0, 7)
	return Period{Name: p.Name, From: from, To: to, PrevFrom: from.Add(-to.Sub(from)), Loc: p.Loc}
}

// Cohorts answers /cohorts: the team's weekly cohorts of new leads.
func (s *Stats) Cohorts(ctx context.Context, m Manager, p Period) (*CohortReport, error) {
	p = CohortPeriod(p)
	now := s.clock.Now()
	var weeks []time.Time
	for wk := p.From; !wk.After(now) || wk.Before(p.To); wk = wk.AddDate(0, 0, 7) {
		weeks = append(weeks, wk)
	}
	wins, err := s.store.Cohorts(ctx, Scope{}, p.From, p.To, weeks)
	if err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	// Weeks without a lead still get a row, so the table has no holes.
	have := map[time.Time]bool{}
	for _, w := range wins {
		have[w.Week] = true
	}
	for wk := p.From; wk.Before(p.To); wk = wk.AddDate(0, 0, 7) {
		if !have[wk] {
			wins = append(wins, CohortWins{Week: wk})
		}
	}
	return &CohortReport{Period: p, Cohorts: Cohorts(wins, s.clock.Now())}, nil
}

// Log records a command in the audit log.
func (s *Stats) Log(ctx context.Context, c TeamCommand) error {
	if c.At.IsZero() {
		c.At = s.clock.Now()
	}
	return s.store.LogTeamCommand(ctx, c)
}

// DigestNotifier delivers the daily digest to the people it is for.
type DigestNotifier interface {
	Digest(ctx context.Context, to []Manager, s *Summary) error
}

// Digest is the daily digest's decision: the heads and admins get the
// day's /stats (today in the deployment's time zone, up to now), all the
// same figures, so one Summary serves them all.
func (s *Stats) Digest(ctx context.Context, now time.Time, n DigestNotifier) error {
	var to []Manager
	for _, m := range s.team {
		if SeesAll(m) {
			to = append(to, m)
		}
	}
	if len(to) == 0 {
		return nil
	}
	p, err := ParsePeriod("today", now, s.tz)
	if err != nil {
		return err
	}
	sum, err := s.Summary(ctx, to[0], p)
	if err != nil {
		return err
	}
	return n.Digest(ctx, to, sum)
}
