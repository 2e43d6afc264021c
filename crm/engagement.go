package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Engagement is what happens after the dialogue: NPS surveys after a sale,
// follow-ups of stalled dialogues, the return of lost leads, and the
// customer's consent. Sweeps select with SQL and queue one job per message
// (unique per customer, purpose and cause); jobs check consent and quiet
// hours again when they run, because time passes in the queue.
type Engagement struct {
	// talks, when set, says until when a customer's conversation with
	// the team is open; outreach waits until then.
	talks interface {
		OpenUntil(ctx context.Context, contactID int64) (time.Time, error)
	}
	store  EngagementStore
	leads  LeadStore
	out    Outreach
	sales  *Sales
	policy EngagementPolicy
	clock  Clock
}

// NewEngagement wires the engagement decisions.
func NewEngagement(store EngagementStore, leads LeadStore, out Outreach, sales *Sales, policy EngagementPolicy, clock Clock) *Engagement {
	if policy.TimeZone == nil {
		policy.TimeZone = time.UTC
	}
	return &Engagement{store: store, leads: leads, out: out, sales: sales, policy: policy, clock: clock}
}

// PauseFor makes automated outreach (nudges, "what happened?", surveys,
// re-engagement) wait while the customer's conversation with the team is
// open (crm.Conversations.OpenUntil): a person is talking to them.
func (e *Engagement) PauseFor(c interface {
	OpenUntil(ctx context.Context, contactID int64) (time.Time, error)
}) {
	e.talks = c
}

// talking reports how long the contact's conversation stays open after
// now; 0 when it is closed.
func (e *Engagement) talking(ctx context.Context, contactID int64, now time.Time) (time.Duration, error) {
	if e.talks == nil {
		return 0, nil
	}
	until, err := e.talks.OpenUntil(ctx, contactID)
	if err != nil || !until.After(now) {
		return 0, err
	}
	return until.Sub(now), nil
}

// sweepPage is how many due leads a sweep reads at a time.
const sweepPage = 500

// page walks every due lead of one query, keyset by lead id.
func page(ctx context.Context, list func(after int64) ([]Due, error), each func(Due) error) error {
	var after int64
	for {
		due, err := list(after)
		if err != nil {
			return err
		}
		for _, d := range due {
			if err := each(d); err != nil {
				return err
			}
			after = d.LeadID
		}
		if len(due) < sweepPage {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// quiet reports whether it is night for the customer at now.
func (e *Engagement) quiet(now time.Time, tz string) bool {
	return e.policy.Quiet.Quiet(e.policy.localTime(now, tz))
}

// SweepSurveys queues the NPS survey of every lead won NPSAfter ago: the
// first purchase of a contact always, later ones at most once per
// RepeatAfter. Customers in their quiet hours are left for a later tick.
func (e *Engagement) SweepSurveys(ctx context.Context, now time.Time) error {
	if e.policy.NPSAfter <= 0 {
		return nil
	}
	err := page(ctx, func(after int64) ([]Due, error) {
		return e.store.DueSurveys(ctx, now.Add(-e.policy.NPSAfter), now.Add(-e.policy.RepeatAfter), after, sweepPage)
	}, func(d Due) error {
		if e.quiet(now, d.TimeZone) {
			return nil
		}
		if open, err := e.talking(ctx, d.ContactID, now); err != nil || open > 0 {
			return err // a later sweep, once the conversation is over
		}
		s := &Survey{LeadID: d.LeadID, ContactID: d.ContactID, ManagerID: d.ManagerID, DueAt: d.Since.Add(e.policy.NPSAfter), CreatedAt: now}
		_, err := e.store.CreateSurvey(ctx, s, Job{Kind: JobSurvey, LeadID: d.LeadID})
		return err
	})
	if err != nil {
		return fmt.Errorf("sweep surveys: %w", err)
	}
	return nil
}

// SweepFollowups queues a nudge for dialogues silent NudgeAfter and the
// "what happened?" question for those silent AskAfter, each once per
// lead and at most MaxNudges in all, by the policy of the lead's flow.
func (e *Engagement) SweepFollowups(ctx context.Context, now time.Time) error {
	steps := []struct {
		purpose, job string
		after        func(FollowupPolicy) time.Duration
		nth          int
	}{
		{PurposeNudge, JobNudge, func(p FollowupPolicy) time.Duration { return p.NudgeAfter }, 1},
		{PurposeAsk, JobAskWhy, func(p FollowupPolicy) time.Duration { return p.AskAfter }, 2},
	}
	for _, st := range steps {
		// The shortest delay of any flow bounds the query; each lead is
		// then held to its own flow's.
		shortest := st.after(e.policy.Followups)
		for _, p := range e.policy.FlowFollowups {
			if d := st.after(p); d > 0 && (shortest <= 0 || d < shortest) {
				shortest = d
			}
		}
		if shortest <= 0 {
			continue
		}
		err := page(ctx, func(after int64) ([]Due, error) {
			return e.store.StalledLeads(ctx, st.purpose, now.Add(-shortest), after, sweepPage)
		}, func(d Due) error {
			p := e.policy.followupsOf(d.FlowID)
			delay := st.after(p)
			if delay <= 0 || d.Since.After(now.Add(-delay)) || e.quiet(now, d.TimeZone) {
				return nil
			}
			if open, err := e.talking(ctx, d.ContactID, now); err != nil || open > 0 {
				return err
			}
			sent, err := e.store.FollowupsSent(ctx, d.LeadID)
			if err != nil || sent >= p.MaxNudges || st.nth > p.MaxNudges {
				return err
			}
			_, err = e.store.CreateFollowup(ctx, d.LeadID, st.purpose, now, Job{Kind: st.job, LeadID: d.LeadID})
			return err
		})
		if err != nil {
			return fmt.Errorf("sweep follow-ups: %w", err)
		}
	}
	return nil
}

// SweepReengage queues, once per lead, a message to customers whose lead
// was lost ReengageAfter ago.
func (e *Engagement) SweepReengage(ctx context.Context, now time.Time) error {
	if e.policy.ReengageAfter <= 0 {
		return nil
	}
	err := page(ctx, func(after int64) ([]Due, error) {
		return e.store.LostLeads(ctx, now.Add(-e.policy.ReengageAfter), after, sweepPage)
	}, func(d Due) error {
		if e.quiet(now, d.TimeZone) {
			return nil
		}
		if open, err := e.talking(ctx, d.ContactID, now); err != nil || open > 0 {
			return err
		}
		_, err := e.store.CreateFollowup(ctx, d.LeadID, PurposeReengage, now, Job{Kind: JobReengage, LeadID: d.LeadID})
		return err
	})
	if err != nil {
		return fmt.Errorf("sweep re-engagement: %w", err)
	}
	return nil
}

// Handles reports whether Run does jobs of kind.
func (e *Engagement) Handles(kind string) bool {
	return slices.Contains([]string{JobSurvey, JobDetractor, JobNudge, JobAskWhy, JobReengage}, kind)
}

// Run does one engagement job. A customer who said /stop, blocked the bot
// or was forgotten gets nothing (the job completes); one in their quiet
// hours is retried at the next allowed moment (*Later); a job whose
// earlier run was interrupted sends nothing (see Job.Interrupted).
func (e *Engagement) Run(ctx context.Context, job Job) error {
	if job.Kind == JobDetractor {
		return e.detractorAlert(ctx, job)
	}
	if job.Interrupted {
		// The run before this one died, perhaps after Telegram took the
		// message and before it was recorded. Telegram cannot be asked,
		// so the message is not sent again: a survey or a nudge lost to
		// a crash costs little, one sent twice is spam.
		return nil
	}
	lead, err := e.leads.Lead(ctx, job.LeadID)
	if err != nil {
		return err
	}
	r, err := e.store.Reach(ctx, lead.ContactID)
	if err != nil {
		return err
	}
	if !r.Allowed() {
		return nil
	}
	now := e.clock.Now()
	if local := e.policy.localTime(now, r.TimeZone); e.policy.Quiet.Quiet(local) {
		return &Later{Wait: e.policy.Quiet.NextAllowed(local).Sub(local)}
	}
	if open, err := e.talking(ctx, r.ContactID, now); err != nil {
		return err
	} else if open > 0 {
		// Queued before the conversation began: it waits for its end.
		return &Later{Wait: open}
	}
	switch job.Kind {
	case JobSurvey:
		err = e.sendSurvey(ctx, r, lead, job)
	case JobNudge:
		err = e.followup(ctx, r, lead, PurposeNudge, e.out.Nudge)
	case JobAskWhy:
		err = e.followup(ctx, r, lead, PurposeAsk, e.out.AskWhy)
	case JobReengage:
		err = e.followup(ctx, r, lead, PurposeReengage, e.out.Reengage)
	default:
		return Errorf(EINVALID, "unknown job kind %q", job.Kind)
	}
	if blocked(err) {
		return e.store.MarkUnreachable(ctx, r.ContactID, now)
	}
	return err
}

func (e *Engagement) sendSurvey(ctx context.Context, r Reach, lead *Lead, job Job) error {
	id, err := parseID(job.Key)
	if err != nil {
		return err
	}
	s, err := e.store.Survey(ctx, id)
	if err != nil {
		return err
	}
	if s.SentAt != nil {
		return nil // sent before a crash that lost the job's completion
	}
	// Marked sent before it goes out, so that nothing failing after the
	// send (the database, the job's completion) can make a retry send it
	// again; a send that fails takes the mark back for the retry.
	if err := e.store.MarkSurveySent(ctx, s.ID, e.clock.Now()); err != nil {
		return err
	}
	if err := e.out.AskNPS(ctx, r, lead, s); err != nil {
		return errors.Join(err, e.store.UnmarkSurveySent(context.WithoutCancel(ctx), s.ID))
	}
	return nil
}

// followup sends a follow-up unless the customer moved on meanwhile (the
// dialogue went on, or the lead was closed).
func (e *Engagement) followup(ctx context.Context, r Reach, lead *Lead, purpose string, send func(context.Context, Reach, *Lead) error) error {
	switch purpose {
	case PurposeReengage:
		if lead.Stage != StageLost {
			return nil
		}
	default:
		if !lead.Stage.Open() {
			return nil
		}
	}
	// Marked before, as a survey is (see sendSurvey).
	if err := e.store.MarkFollowupSent(ctx, lead.ID, purpose, e.clock.Now()); err != nil {
		return err
	}
	if err := send(ctx, r, lead); err != nil {
		return errors.Join(err, e.store.UnmarkFollowupSent(context.WithoutCancel(ctx), lead.ID, purpose))
	}
	return nil
}

// Score records a customer's 0-10 answer to their survey. A detractor
// raises an alert to the rep and the sales channel at once.
func (e *Engagement) Score(ctx context.Context, contactID, surveyID int64, score int) (*Survey, error) {
	if score < 0 || score > 10 {
		return nil, Errorf(EINVALID, "a score is 0 to 10")
	}
	s, err := e.store.Survey(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	if s.ContactID != contactID {
		return nil, Errorf(EFORBIDDEN, "not your survey")
	}
	var jobs []Job
	if NPSCategory(score) == Detractor {
		jobs = append(jobs, Job{Kind: JobDetractor, LeadID: s.LeadID, Key: surveyKey(s.ID)})
	}
	if err := e.store.ScoreSurvey(ctx, s.ID, score, e.clock.Now(), jobs); err != nil {
		return nil, err
	}
	s.Score = &score
	return s, nil
}

// commentWindow is how long after a score free text is taken as its reason.
const commentWindow = 24 * time.Hour

// Comment takes free text from a customer as the reason for their latest
// score, if one waits for it; false when none does.
func (e *Engagement) Comment(ctx context.Context, contactID int64, text string) (*Survey, bool, error) {
	now := e.clock.Now()
	s, err := e.store.AwaitingComment(ctx, contactID, now.Add(-commentWindow))
	if ErrorCode(err) == ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var jobs []Job
	if s.Score != nil && NPSCategory(*s.Score) == Detractor {
		// The team heard of the score at once; now it hears why.
		jobs = append(jobs, Job{Kind: JobDetractor, LeadID: s.LeadID, Key: detractorReasonKey + surveyKey(s.ID)})
	}
	if err := e.store.CommentSurvey(ctx, s.ID, text, now, jobs); err != nil {
		return nil, false, err
	}
	s.Comment = text
	return s, true, nil
}

// Reason stores the customer's answer to "what happened?"; a reason among
// LostReasons closes the lead.
func (e *Engagement) Reason(ctx context.Context, contactID, leadID int64, reason string) (lost bool, err error) {
	lead, err := e.leads.Lead(ctx, leadID)
	if err != nil {
		return false, err
	}
	if lead.ContactID != contactID {
		return false, Errorf(EFORBIDDEN, "not your request")
	}
	lost = slices.Contains(e.policy.LostReasons, reason)
	return lost, e.store.FollowupReason(ctx, leadID, reason, lost, e.clock.Now())
}

// Stop ends every unsolicited message to the customer, for good.
func (e *Engagement) Stop(ctx context.Context, contactID int64) error {
	return e.store.Stop(ctx, contactID, e.clock.Now())
}

// Blocked records at once that the customer blocked the bot (Telegram
// says so in an update), so the sweeps skip them without waiting for a
// message's 403.
func (e *Engagement) Blocked(ctx context.Context, contactID int64) error {
	return e.store.MarkUnreachable(ctx, contactID, e.clock.Now())
}

// Unblocked records that the customer unblocked the bot: the sweeps may
// reach them again (unless they said /stop or were forgotten).
func (e *Engagement) Unblocked(ctx context.Context, contactID int64) error {
	return e.store.MarkReachable(ctx, contactID)
}

// Forget erases the customer's personal data and stops everything.
func (e *Engagement) Forget(ctx context.Context, contactID int64) error {
	return e.store.Forget(ctx, contactID, e.clock.Now())
}

// detractorReasonKey marks the detractor job that carries the reason
// the customer gave after the score (the alert itself has the bare key).
const detractorReasonKey = "reason:"

// detractorAlert tells the rep and the sales channel about a low score:
// who, their phone, whose sale it was; and, as a second message, the
// reason once the customer gives it.
func (e *Engagement) detractorAlert(ctx context.Context, job Job) error {
	key, reason := strings.CutPrefix(job.Key, detractorReasonKey)
	id, err := parseID(key)
	if err != nil {
		return err
	}
	s, err := e.store.Survey(ctx, id)
	if err != nil || s.Score == nil || e.sales == nil {
		return err
	}
	if reason && s.Comment == "" {
		return nil
	}
	comment := ""
	if reason { // the alert goes at once; the reason has its own message
		comment = s.Comment
	}
	return e.sales.Announce(ctx, s.LeadID, func(c *LeadCard) string {
		if w, ok := e.sales.labels.(NoticeWriter); ok {
			return w.DetractorNotice(c, *s.Score, comment, reason)
		}
		return DetractorNoticeEN(c, *s.Score, comment, reason)
	})
}

// DetractorNoticeEN is the detractor notice in English, for a Labeler
// without a NoticeWriter.
func DetractorNoticeEN(c *LeadCard, score int, comment string, reason bool) string {
	if reason {
		return fmt.Sprintf("💬 Why %d/10 (lead #%d, %s): “%s”", score, c.Lead.ID, displayName(c), comment)
	}
	text := fmt.Sprintf("⚠️ Detractor: %s scored %d/10 after lead #%d", displayName(c), score, c.Lead.ID)
	if c.Contact.Phone != "" {
		text += " · 📞 " + c.Contact.Phone
	}
	if c.Assignee != nil {
		text += " (" + c.Assignee.Name + "'s sale)"
	}
	return text + ". Please call them."
}

func displayName(c *LeadCard) string {
	if n := c.Contact.Name(); n != "" {
		return n
	}
	return fmt.Sprintf("customer of lead #%d", c.Lead.ID)
}

func parseID(key string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(key, &id); err != nil || id <= 0 {
		return 0, Errorf(EINVALID, "job key %q is not an id", key)
	}
	return id, nil
}

// Announce posts text (built from the lead's card) under the lead's card
// in every sales channel, mentioning the lead's rep and the heads.
func (s *Sales) Announce(ctx context.Context, leadID int64, text func(*LeadCard) string) error {
	return s.toChannels(ctx, leadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		mention := s.heads()
		if card.Assignee != nil && !slices.ContainsFunc(mention, func(m Manager) bool { return m.ID == card.Assignee.ID }) {
			mention = append([]Manager{*card.Assignee}, mention...)
		}
		return n.Notify(ctx, ref, card, text(card), mention)
	})
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
