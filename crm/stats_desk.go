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

// SummaryCounts are the facts of one period as the store counts them.
// Activity figures count what happened in the period by its own time (a
// lead created earlier but won in the period is a win of the period);
// Cohort* count what became of the leads created in the period, which is
// what a conversion rate needs to stay within 0-100%.
type SummaryCounts struct {
	New       int // created in the period
	Qualified int // qualified in the period
	Hot       int // qualified in the period and hot
	Contacted int // contacted in the period
	Won       int // won in the period
	Lost      int // lost in the period (dialogues cancelled included)
	Revenue   float64
	// RepeatSales are the period's wins whose contact had won before.
	RepeatSales int
	// CohortQualified and CohortWon: of the New leads, how many are
	// qualified by now and how many are won by now.
	CohortQualified int
	CohortWon       int
	// FirstContact is qualified → contacted for each lead contacted in the
	// period: how long a customer who finished the dialogue waited.
	FirstContact []time.Duration
}

// FunnelCounts are the reached-stage counts of the leads created in a
// period, their lost reasons and the per-step counts of their dialogues.
type FunnelCounts struct {
	Leads, Started, Qualified, Contacted, Won, Lost int
	LostReasons                                     []NamedCount
	Steps                                           []StepCount
}

// NamedCount is a count with what it counts.
type NamedCount struct {
	Name  string
	Count int
}

// NPSWeek is one week of NPS answers, starting at a local Monday.
type NPSWeek struct {
	Week time.Time
	NPSCounts
}

// NPSComment is a customer's "why".
type NPSComment struct {
	LeadID int64
	// Score is the lead's latest 0-10 score, -1 when it has none.
	Score   int
	Comment string
	At      time.Time
}

// RepCounts are one manager's figures for /team.
type RepCounts struct {
	ManagerID int64
	Open      int // qualified or contacted now
	Claimed   int // claimed in the period
	Contacted int // contacted in the period
	Won       int
	Revenue   float64
	// ToClaim is alerted (or qualified) → claimed for claims in the period;
	// ToContact is claimed → contacted for contacts in the period.
	ToClaim   []time.Duration
	ToContact []time.Duration
	Breaches  int // SLA breaches recorded in the period on their leads
}

// SourceCounts are the leads of one source and campaign in a period.
type SourceCounts struct {
	Source, Campaign string
	Leads, Qualified int
	Won              int
	Revenue          float64
}

// FoundLead is one hit of /find.
type FoundLead struct {
	LeadID                       int64
	Name, Username, Phone, Email string
	Stage                        Stage
	Temperature                  Temperature
	ManagerID                    int64
	CreatedAt                    time.Time
}

// ExportRow is one lead in the CSV export.
type ExportRow struct {
	Lead        Lead
	Contact     Contact
	ManagerID   int64
	ClaimedAt   *time.Time
	ContactedAt *time.Time
	WonAt       *time.Time
	LostAt      *time.Time
	Amount      float64
	// Answers are the lead's current answers as stored (for the win
	// probability); WinProbability is filled by Stats.Export when a model
	// is in use and the lead is qualified.
	Answers        []Answer
	WinProbability *float64
	// NPS is the score of the lead's survey, nil when not answered;
	// NPSComment the reason the customer gave.
	NPS        *int
	NPSComment string
	// Messages counts the lead's conversation, both ways (notes not
	// counted).
	Messages int
}

// StaffCommand is one command a manager gave, for the audit log.
type StaffCommand struct {
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

// StatsStore counts what the reports need. Every method takes the
// period's bounds as instants; tz, where asked for, is the IANA name that
// weeks are cut in.
type StatsStore interface {
	Summary(ctx context.Context, s Scope, from, to time.Time) (SummaryCounts, error)
	Funnel(ctx context.Context, s Scope, from, to time.Time) (FunnelCounts, error)
	// NPS counts answers in [from, to), by week in [weeksFrom, to) and the
	// latest comments in [from, to), newest first.
	NPS(ctx context.Context, s Scope, from, to, weeksFrom time.Time, tz string, comments int) (NPSCounts, []NPSWeek, []NPSComment, error)
	// Team counts per manager id, for every manager with a lead.
	Team(ctx context.Context, from, to time.Time) ([]RepCounts, error)
	Sources(ctx context.Context, s Scope, from, to time.Time) ([]SourceCounts, error)
	// Cohorts counts leads created in [from, to) by week, and their wins
	// by week since arrival. weeks are the local Mondays from from on, up
	// to and including the current week's: the boundaries of both.
	Cohorts(ctx context.Context, s Scope, from, to time.Time, weeks []time.Time) ([]CohortWins, error)
	// Timeline is the lead's latest events, oldest first.
	Timeline(ctx context.Context, leadID int64, limit int) ([]Event, error)
	// Referred returns the ids of the leads that came by a referral code
	// (Attribution.Referrer), newest first, at most limit.
	Referred(ctx context.Context, code string, limit int) ([]int64, error)
	Find(ctx context.Context, s Scope, q FindQuery, limit int) ([]FoundLead, error)
	// Export calls fn for each lead created in [from, to), oldest first,
	// at most limit of them.
	Export(ctx context.Context, s Scope, from, to time.Time, limit int, fn func(ExportRow) error) error
	LogStaffCommand(ctx context.Context, c StaffCommand) error
}

// CardReader reads a lead's card (SalesStore has it).
type CardReader interface {
	Card(ctx context.Context, leadID int64) (card *LeadCard, assignee int64, err error)
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

// LeadTimelineShown is how many of a lead's latest events /lead lists.
const LeadTimelineShown = 25

// LeadMessagesShown is how many of a lead's latest messages /lead lists.
const LeadMessagesShown = 10

// LeadView is /lead <id>.
type LeadView struct {
	Card     *LeadCard
	Timeline []Event
	// Referred are the leads that came by this lead's customer's personal
	// link (ReferralCode), newest first, at most LeadReferredShown.
	Referred []int64
	// Messages are the conversation's latest, oldest first (none without
	// ShowConversations).
	Messages []Message
}

// ShowConversations makes /lead list the latest messages of the lead's
// conversation (ConversationStore.LastMessages).
func (s *Stats) ShowConversations(r interface {
	LastMessages(ctx context.Context, leadID int64, n int) ([]Message, error)
}) {
	s.messages = r
}

// LeadReferredShown is how many referred leads /lead lists.
const LeadReferredShown = 20

// Lead answers /lead: a rep may look at their own leads only, and is told
// the same "not among your leads" for a lead that is someone else's as for
// one that does not exist, so ids cannot be probed. Heads and admins, who
// see every lead, are told when one does not exist.
func (s *Stats) Lead(ctx context.Context, m Manager, id int64) (*LeadView, error) {
	card, assignee, err := s.cards.Card(ctx, id)
	missing := ErrorCode(err) == ENOTFOUND
	switch {
	case missing && SeesAll(m):
		return nil, Errorf(ENOTFOUND, "Lead #%d not found.", id)
	case missing, err == nil && !SeesAll(m) && assignee != m.ID:
		return nil, Errorf(ENOTFOUND, "Lead #%d is not among your leads.", id)
	case err != nil:
		return nil, err
	}
	if assignee != 0 {
		for _, tm := range s.team {
			if tm.ID == assignee {
				card.Assignee = &tm
			}
		}
	}
	if s.win != nil {
		card.Win, _ = s.win.Estimate(ctx, card) // without it the card still stands
	}
	if s.labels != nil {
		card.Answers = s.labels.Label(&card.Lead, card.Answers)
	}
	card.Now = s.clock.Now()
	events, err := s.store.Timeline(ctx, id, LeadTimelineShown)
	if err != nil {
		return nil, fmt.Errorf("lead timeline: %w", err)
	}
	lv := &LeadView{Card: card, Timeline: events}
	if card.Contact.ID != 0 {
		if lv.Referred, err = s.store.Referred(ctx, ReferralCode(card.Contact.ID), LeadReferredShown); err != nil {
			return nil, fmt.Errorf("lead referrals: %w", err)
		}
	}
	if s.messages != nil {
		if lv.Messages, err = s.messages.LastMessages(ctx, id, LeadMessagesShown); err != nil {
			return nil, fmt.Errorf("lead messages: %w", err)
		}
	}
	return lv, nil
}

// FindQuery is what /find looks for, read from what the manager typed.
type FindQuery struct {
	Text string
	// Words are the lowercased words of a name ("anna petrova").
	Words []string
	// Digits are the digits of a phone number when the text is one (at
	// least FindMinDigits of them), "" otherwise.
	Digits string
	// Email is the lowercased text when it holds an "@" inside it.
	Email string
	// Username is the text without a leading "@", lowercased.
	Username string
}

// FindMinDigits is the shortest number /find takes for a phone: fewer
// digits match half the customers.
const FindMinDigits = 5

// FindLimit is how many leads /find lists.
const FindLimit = 20

// ParseFind reads /find's argument. Too short a text is EINVALID: a
// one-letter search lists the customers, not the one asked for.
func ParseFind(text string) (FindQuery, error) {
	t := strings.TrimSpace(text)
	q := FindQuery{Text: t}
	if len([]rune(t)) < 2 {
		return q, Errorf(EINVALID, "usage: /find <name, phone, email or @username> (at least 2 characters)")
	}
	lower := strings.ToLower(t)
	var digits strings.Builder
	phoneish := true
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune("+-() .", r):
		default:
			phoneish = false
		}
	}
	if phoneish && digits.Len() >= FindMinDigits {
		q.Digits = digits.String()
	}
	if i := strings.IndexByte(lower, '@'); i > 0 {
		q.Email = lower
	}
	q.Username = strings.TrimPrefix(lower, "@")
	if q.Digits == "" && q.Email == "" {
		q.Words = strings.Fields(strings.TrimPrefix(lower, "@"))
		if len(q.Words) > 2 {
			q.Words = q.Words[:2]
		}
	}
	return q, nil
}

// Find answers /find: heads and admins search every lead, a rep their own.
func (s *Stats) Find(ctx context.Context, m Manager, text string) ([]FoundLead, error) {
	q, err := ParseFind(text)
	if err != nil {
		return nil, err
	}
	found, err := s.store.Find(ctx, scopeOf(m), q, FindLimit)
	if err != nil {
		return nil, fmt.Errorf("find: %w", err)
	}
	return found, nil
}

// ExportLimit bounds one CSV: about 20 MB, under Telegram's 50 MB for a
// bot's document and Slack's comfort; a longer history is exported in
// several periods.
const ExportLimit = 100_000

// Export answers /export: the leads created in the period, a rep's own
// only. It returns how many rows fn got.
func (s *Stats) Export(ctx context.Context, m Manager, p Period, fn func(ExportRow) error) (int, error) {
	n := 0
	err := s.store.Export(ctx, scopeOf(m), p.From, p.To, ExportLimit, func(r ExportRow) error {
		n++
		if s.win != nil && r.Lead.QualifiedAt != nil {
			facts := LeadFacts{Lead: r.Lead, Language: r.Contact.Language, Answers: r.Answers}
			if p, ok, err := s.win.Score(ctx, facts); err == nil && ok {
				r.WinProbability = &p
			}
		}
		return fn(r)
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// Log records a command in the audit log.
func (s *Stats) Log(ctx context.Context, c StaffCommand) error {
	if c.At.IsZero() {
		c.At = s.clock.Now()
	}
	return s.store.LogStaffCommand(ctx, c)
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
