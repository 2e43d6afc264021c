package crm

import (
	"context"
	"time"
)

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
	LogTeamCommand(ctx context.Context, c TeamCommand) error
}

// CardReader reads a lead's card (SalesStore has it).
type CardReader interface {
	Card(ctx context.Context, leadID int64) (card *LeadCard, assignee int64, err error)
}
