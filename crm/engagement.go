package crm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Job kinds of customer engagement.
const (
	JobSurvey    = "nps_survey"      // send the NPS question (key: survey id)
	JobDetractor = "nps_detractor"   // tell the rep and the channel (key: survey id)
	JobNudge     = "followup_nudge"  // a stalled dialogue: "still there?"
	JobAskWhy    = "followup_ask"    // a stalled dialogue: "what happened?" with reasons
	JobReengage  = "followup_return" // a lost lead, once, Z days later
)

// Follow-up purposes, one row each per lead.
const (
	PurposeNudge    = "nudge"
	PurposeAsk      = "ask"
	PurposeReengage = "reengage"
)

// Survey is one NPS survey of a won lead.
type Survey struct {
	ID          int64
	LeadID      int64
	ContactID   int64
	ManagerID   int64
	DueAt       time.Time
	SentAt      *time.Time
	Score       *int
	AnsweredAt  *time.Time
	Comment     string
	CommentedAt *time.Time
	CreatedAt   time.Time
}

// Due is a lead some sweep found due for a message.
type Due struct {
	LeadID    int64
	ContactID int64
	ManagerID int64
	FlowID    string
	TimeZone  string // the contact's; "" means the configured default
	// Since is what the delay counts from: won_at, the last activity,
	// lost_at.
	Since time.Time
}

// Reach is what decides whether a customer may be written to now.
type Reach struct {
	ContactID   int64
	ChatID      int64
	TimeZone    string
	Stopped     bool // said /stop: nothing unsolicited, for good
	Unreachable bool // blocked the bot
	Erased      bool // said /forget
}

// Allowed reports whether unsolicited messages may reach the customer.
func (r Reach) Allowed() bool { return r.ChatID != 0 && !r.Stopped && !r.Unreachable && !r.Erased }

// EngagementStore keeps surveys, follow-ups and consent. Writes that send
// something take their job and queue it in the same transaction; a row
// that already exists (the same lead, the same purpose) makes the write a
// no-op that returns false, so a sweep may run any number of times.
type EngagementStore interface {
	// DueSurveys lists won leads whose won_at is before wonBefore, with no
	// survey yet, whose contact is reachable and has had no survey created
	// after surveyedAfter (the repeat limit; the contact's first won lead
	// always qualifies), ordered by lead id after afterLead, at most limit.
	DueSurveys(ctx context.Context, wonBefore, surveyedAfter time.Time, afterLead int64, limit int) ([]Due, error)
	// CreateSurvey inserts the survey (filling s.ID) with its job (whose Key
	// it sets to the survey id); false when the lead already has one.
	CreateSurvey(ctx context.Context, s *Survey, job Job) (bool, error)
	Survey(ctx context.Context, id int64) (*Survey, error)
	MarkSurveySent(ctx context.Context, id int64, at time.Time) error
	// UnmarkSurveySent takes MarkSurveySent back: the question is marked
	// sent before it goes out, and did not go out.
	UnmarkSurveySent(ctx context.Context, id int64) error
	// ScoreSurvey records the score once (ECONFLICT if already scored),
	// with an EventNPSAnswered event {"score": N} on the lead (see the
	// contract in stats.go), and the jobs.
	ScoreSurvey(ctx context.Context, id int64, score int, at time.Time, jobs []Job) error
	// CommentSurvey records the reason once (and queues jobs: the
	// detractor alert's reason), with an EventNPSAnswered
	// event {"comment": "..."}.
	CommentSurvey(ctx context.Context, id int64, comment string, at time.Time, jobs []Job) error
	// AwaitingComment is the contact's survey scored after since and not
	// commented, ENOTFOUND if none.
	AwaitingComment(ctx context.Context, contactID int64, since time.Time) (*Survey, error)

	// StalledLeads lists open leads (new, qualifying) silent since before
	// silentBefore (updated_at), whose contact is reachable, that have no
	// follow-up of purpose yet, by lead id after afterLead, at most limit.
	StalledLeads(ctx context.Context, purpose string, silentBefore time.Time, afterLead int64, limit int) ([]Due, error)
	// LostLeads lists leads lost before lostBefore (not by the customer's
	// own /cancel... any reason) with no re-engagement yet, reachable.
	LostLeads(ctx context.Context, lostBefore time.Time, afterLead int64, limit int) ([]Due, error)
	// FollowupsSent counts the follow-ups a lead has had.
	FollowupsSent(ctx context.Context, leadID int64) (int, error)
	// CreateFollowup inserts the (lead, purpose) row with its job.
	CreateFollowup(ctx context.Context, leadID int64, purpose string, due time.Time, job Job) (bool, error)
	MarkFollowupSent(ctx context.Context, leadID int64, purpose string, at time.Time) error
	// UnmarkFollowupSent takes MarkFollowupSent back, as UnmarkSurveySent.
	UnmarkFollowupSent(ctx context.Context, leadID int64, purpose string) error
	// FollowupReason stores the customer's answer to "what happened?" with
	// a "followup_reason" event; lost closes an open lead as lost with it.
	FollowupReason(ctx context.Context, leadID int64, reason string, lost bool, at time.Time) error

	// Reach says whether and where a contact may be written to.
	Reach(ctx context.Context, contactID int64) (Reach, error)
	// Stop records /stop for good.
	Stop(ctx context.Context, contactID int64, at time.Time) error
	// MarkUnreachable records that the customer blocked the bot.
	MarkUnreachable(ctx context.Context, contactID int64, at time.Time) error
	// MarkReachable takes MarkUnreachable back: the customer unblocked
	// the bot.
	MarkReachable(ctx context.Context, contactID int64) error
	// Forget erases the contact's personal data in one transaction: names,
	// username, phone, email; the values of free-text, phone and email
	// answers; texts in events (messages, comments); survey comments and
	// follow-up free text. Stages, scores, choices, amounts, timestamps
	// and ids stay, so the funnel counts do not change. It also stops all
	// unsolicited messages.
	Forget(ctx context.Context, contactID int64, at time.Time) error
}

// QuietHours is the nightly window in which no sweep's message reaches a
// customer, in the customer's time zone. From > To wraps past midnight.
type QuietHours struct {
	From, To int // minutes since midnight
	set      bool
}

// ParseQuietHours reads "21:00" and "09:00"; two empty strings mean none.
func ParseQuietHours(from, to string) (QuietHours, error) {
	if from == "" && to == "" {
		return QuietHours{}, nil
	}
	var q QuietHours
	var err error
	if q.From, err = clockMinutes(from); err != nil {
		return q, fmt.Errorf("quiet hours from: %w", err)
	}
	if q.To, err = clockMinutes(to); err != nil {
		return q, fmt.Errorf("quiet hours to: %w", err)
	}
	if q.From == q.To {
		return q, fmt.Errorf("quiet hours: from and to are the same")
	}
	q.set = true
	return q, nil
}

// Quiet reports whether local time t is inside the window.
func (q QuietHours) Quiet(t time.Time) bool {
	if !q.set {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if q.From < q.To {
		return m >= q.From && m < q.To
	}
	return m >= q.From || m < q.To
}

// NextAllowed is the first moment at or after t outside the window.
func (q QuietHours) NextAllowed(t time.Time) time.Time {
	if !q.Quiet(t) {
		return t
	}
	end := time.Date(t.Year(), t.Month(), t.Day(), q.To/60, q.To%60, 0, 0, t.Location())
	if !end.After(t) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// Later asks the queue to run a job again after Wait (the customer's
// quiet hours). It is a wait, not a time, so the queue needs no clock.
type Later struct{ Wait time.Duration }

func (l *Later) Error() string { return "not for another " + l.Wait.String() }

// Outreach writes to customers in their own language (bot renders the
// texts of their flow). An error whose Blocked() is true means the
// customer blocked the bot.
type Outreach interface {
	AskNPS(ctx context.Context, r Reach, lead *Lead, survey *Survey) error
	Nudge(ctx context.Context, r Reach, lead *Lead) error
	AskWhy(ctx context.Context, r Reach, lead *Lead) error
	Reengage(ctx context.Context, r Reach, lead *Lead) error
}

// FollowupPolicy is when a stalled dialogue is followed up; a flow may
// override the configured one.
type FollowupPolicy struct {
	NudgeAfter time.Duration // "still there?" after this much silence
	AskAfter   time.Duration // "what happened?" with reasons after this much
	MaxNudges  int           // follow-ups at most (1: the nudge only; 0: none)
}

// EngagementPolicy is the configuration of surveys and follow-ups.
type EngagementPolicy struct {
	NPSAfter      time.Duration // after a win
	RepeatAfter   time.Duration // later purchases: a survey at most this often
	Followups     FollowupPolicy
	FlowFollowups map[string]FollowupPolicy // per flow id, overriding
	ReengageAfter time.Duration             // 0: never
	Quiet         QuietHours
	TimeZone      *time.Location
	// LostReasons are the "what happened?" answers that close the lead.
	LostReasons []string
}

// followupsOf is the policy of a flow.
func (p EngagementPolicy) followupsOf(flow string) FollowupPolicy {
	if f, ok := p.FlowFollowups[flow]; ok {
		return f
	}
	return p.Followups
}

// localTime is t in the customer's zone, else the configured one.
func (p EngagementPolicy) localTime(t time.Time, tz string) time.Time {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return t.In(loc)
		}
	}
	if p.TimeZone != nil {
		return t.In(p.TimeZone)
	}
	return t.UTC()
}

// surveyKey is a job key for a survey.
func surveyKey(id int64) string { return strconv.FormatInt(id, 10) }

// blocked reports whether err says the customer blocked the bot.
func blocked(err error) bool {
	for e := err; e != nil; {
		if b, ok := e.(interface{ Blocked() bool }); ok && b.Blocked() {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return strings.Contains(strings.ToLower(e.Error()), "bot was blocked")
		}
		e = u.Unwrap()
	}
	return false
}
