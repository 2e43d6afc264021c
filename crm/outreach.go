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
