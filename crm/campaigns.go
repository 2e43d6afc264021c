package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// CampaignOutreach writes a campaign's message to a customer in their
// language, with their name and the buttons; it answers the message id.
// An error whose Blocked() is true means the customer blocked the bot.
type CampaignOutreach interface {
	SendCampaign(ctx context.Context, r Reach, c *Campaign, s *CampaignSend, msgs []CampaignMessage) (int, error)
}

// CampaignPolicy is the configuration every campaign shares.
type CampaignPolicy struct {
	Cap      FrequencyCap
	Quiet    QuietHours
	TimeZone *time.Location
	// Explore is the share of best-time sends that go at a random allowed
	// moment instead (0.1).
	Explore float64
	// ActivityWindow is how far back a customer's moments count for
	// their best hour (90 days).
	ActivityWindow time.Duration
}

// Campaigns runs the marketing campaigns: sweeps select each trigger's
// audience and queue one durable send per customer and cause; a send's
// job checks consent, quiet hours, the cap and the exclusions again when
// it runs, because time passes in the queue.
type Campaigns struct {
	store CampaignStore
	reach interface {
		Reach(context.Context, int64) (Reach, error)
	}
	out    CampaignOutreach
	list   []*Campaign
	policy CampaignPolicy
	clock  Clock
}

// NewCampaigns wires the campaigns. reach is the EngagementStore's Reach.
func NewCampaigns(store CampaignStore, reach interface {
	Reach(context.Context, int64) (Reach, error)
}, out CampaignOutreach, list []*Campaign, policy CampaignPolicy, clock Clock) *Campaigns {
	if policy.TimeZone == nil {
		policy.TimeZone = time.UTC
	}
	if policy.ActivityWindow <= 0 {
		policy.ActivityWindow = 90 * 24 * time.Hour
	}
	return &Campaigns{store: store, reach: reach, out: out, list: list, policy: policy, clock: clock}
}

// List is the campaigns, in their files' order.
func (cs *Campaigns) List() []*Campaign { return slices.Clone(cs.list) }

// Campaign finds one by id (ENOTFOUND).
func (cs *Campaigns) Campaign(id string) (*Campaign, error) {
	for _, c := range cs.list {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "no campaign %q", id)
}

// campaignPage is how many audience rows a sweep reads at a time.
const campaignPage = 1000

// PlannedSend is one send a sweep would queue (preview, dry run).
type PlannedSend struct {
	Member  AudienceMember
	Variant string
	Plan    SendPlan
}

// Sweep queues the due sends of every event trigger and of once triggers
// whose moment has come.
func (cs *Campaigns) Sweep(ctx context.Context, now time.Time) error {
	var errs []error
	for _, c := range cs.list {
		switch c.Trigger.Kind {
		case TriggerEvent:
		case TriggerOnce:
			if now.Before(c.Trigger.At) || !now.Before(c.Trigger.At.Add(c.Trigger.Within)) {
				continue
			}
		default:
			continue
		}
		if _, err := cs.fire(ctx, c, now, "once", false, 0); err != nil {
			errs = append(errs, fmt.Errorf("campaign %s: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Fire queues the sends of a campaign for cause (a cron tick, a manual
// send); with dryRun it queues nothing and answers what it would queue.
// limit > 0 stops after that many.
func (cs *Campaigns) Fire(ctx context.Context, id string, now time.Time, cause string, dryRun bool, limit int) ([]PlannedSend, error) {
	c, err := cs.Campaign(id)
	if err != nil {
		return nil, err
	}
	return cs.fire(ctx, c, now, cause, dryRun, limit)
}

// CronCause names the sends of one tick of a cron campaign.
func CronCause(tick time.Time) string { return "cron:" + tick.UTC().Format(time.RFC3339) }

func (cs *Campaigns) fire(ctx context.Context, c *Campaign, now time.Time, cause string, dryRun bool, limit int) ([]PlannedSend, error) {
	promoted, err := cs.store.Promoted(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var segmentMoments, everyone []time.Time
	if c.BestTime {
		since := now.Add(-cs.policy.ActivityWindow)
		if segmentMoments, err = cs.store.SegmentActivity(ctx, c, since, 5000); err != nil {
			return nil, err
		}
		if everyone, err = cs.store.SegmentActivity(ctx, nil, since, 5000); err != nil {
			return nil, err
		}
	}
	var planned []PlannedSend
	q := AudienceQuery{Campaign: c, Now: now, Cause: cause, Cap: cs.policy.Cap, Limit: campaignPage, Preview: dryRun}
	for {
		page, err := cs.store.Audience(ctx, q)
		if err != nil {
			return planned, err
		}
		for _, m := range page {
			q.AfterContact, q.AfterLead = m.ContactID, m.LeadID
			if c.Segment.Match != nil {
				ok, err := c.Segment.Match(m.Fields, now)
				if err != nil {
					return planned, fmt.Errorf("segment %s: %w", c.Segment.Name, err)
				}
				if !ok {
					continue
				}
			}
			p, err := cs.plan(ctx, c, m, now, promoted, segmentMoments, everyone)
			if err != nil {
				return planned, err
			}
			if !dryRun {
				s := &CampaignSend{Campaign: c.ID, ContactID: m.ContactID, LeadID: m.LeadID, Cause: m.Cause,
					Variant: p.Variant, Timing: p.Plan.Timing, DueAt: p.Plan.At, Since: m.Since, Status: SendQueued}
				job := Job{Kind: JobCampaign}
				if p.Plan.At.After(now) {
					job.At = p.Plan.At
				}
				if _, err := cs.store.CreateSend(ctx, s, job); err != nil {
					return planned, err
				}
			}
			planned = append(planned, p)
			if limit > 0 && len(planned) >= limit {
				return planned, nil
			}
		}
		if len(page) < q.Limit {
			return planned, nil
		}
		if err := ctx.Err(); err != nil {
			return planned, err
		}
	}
}

func (cs *Campaigns) plan(ctx context.Context, c *Campaign, m AudienceMember, now time.Time, promoted string, segment, everyone []time.Time) (PlannedSend, error) {
	loc := cs.policy.TimeZone
	if m.TimeZone != "" {
		if l, err := time.LoadLocation(m.TimeZone); err == nil {
			loc = l
		}
	}
	var own []time.Time
	if c.BestTime {
		var err error
		if own, err = cs.store.Activity(ctx, m.ContactID, now.Add(-cs.policy.ActivityWindow)); err != nil {
			return PlannedSend{}, err
		}
	}
	key := c.ID + "/" + strconv.FormatInt(m.ContactID, 10) + "/" + m.Cause
	plan := PlanSendTime(now, loc, cs.policy.Quiet, c.BestTime, cs.policy.Explore, key, own, segment, everyone)
	return PlannedSend{Member: m, Variant: AssignVariant(c.ID, m.ContactID, c.Variants, promoted), Plan: plan}, nil
}

// Preview answers the audience's size and a sample of n with when each
// would be sent; it queues nothing.
func (cs *Campaigns) Preview(ctx context.Context, id string, now time.Time, n int) (int, []PlannedSend, error) {
	c, err := cs.Campaign(id)
	if err != nil {
		return 0, nil, err
	}
	size, err := cs.store.AudienceSize(ctx, c, now)
	if err != nil {
		return 0, nil, err
	}
	sample, err := cs.fire(ctx, c, now, "preview", true, n)
	return size, sample, err
}

// Handles reports whether Run does jobs of kind.
func (cs *Campaigns) Handles(kind string) bool { return kind == JobCampaign }

// Run sends one campaign message. Nothing goes to a customer who said
// /stop, blocked the bot or was forgotten, nor past the frequency cap or
// an exclusion (the send is closed with why); in quiet hours the job
// waits for the morning (*Later); a run after a crash sends nothing.
func (cs *Campaigns) Run(ctx context.Context, job Job) error {
	id, err := parseID(job.Key)
	if err != nil {
		return err
	}
	s, err := cs.store.CampaignSend(ctx, id)
	if err != nil {
		return err
	}
	now := cs.clock.Now()
	if job.Interrupted {
		if s.Status == SendSending {
			return cs.store.FinishSend(ctx, s.ID, SendInterrupted, 0, now)
		}
		if s.Status != SendQueued {
			return nil
		}
	}
	if s.Status != SendQueued {
		return nil
	}
	c, err := cs.Campaign(s.Campaign)
	if err != nil {
		// The campaign's file is gone: its queued sends go nowhere.
		return cs.store.FinishSend(ctx, s.ID, SendExcluded, 0, now)
	}
	r, err := cs.reach.Reach(ctx, s.ContactID)
	if err != nil {
		return err
	}
	if !r.Allowed() {
		return cs.finishUnclaimed(ctx, s, SendStopped, now)
	}
	loc := cs.policy.TimeZone
	if r.TimeZone != "" {
		if l, err := time.LoadLocation(r.TimeZone); err == nil {
			loc = l
		}
	}
	if local := now.In(loc); cs.policy.Quiet.Quiet(local) {
		return &Later{Wait: cs.policy.Quiet.NextAllowed(local).Sub(local)}
	}
	var since *time.Time
	if c.ExcludePurchased && !s.Since.IsZero() {
		since = &s.Since
	}
	status, err := cs.store.ClaimSend(ctx, s.ID, now, cs.policy.Cap, since)
	if err != nil || status != "" {
		return err
	}
	v := slices.IndexFunc(c.Variants, func(v Variant) bool { return v.ID == s.Variant })
	if v < 0 {
		return cs.store.FinishSend(ctx, s.ID, SendExcluded, 0, now)
	}
	msgID, err := cs.out.SendCampaign(ctx, r, c, s, c.Variants[v].Messages)
	if blocked(err) {
		return errors.Join(cs.store.FinishSend(ctx, s.ID, SendBlocked, 0, now),
			cs.reachStore().markUnreachable(ctx, s.ContactID, now))
	}
	if err != nil {
		return errors.Join(err, cs.store.UnclaimSend(context.WithoutCancel(ctx), s.ID))
	}
	return cs.store.FinishSend(ctx, s.ID, SendSent, msgID, now)
}

func (cs *Campaigns) finishUnclaimed(ctx context.Context, s *CampaignSend, status string, now time.Time) error {
	return cs.store.FinishSend(ctx, s.ID, status, 0, now)
}

type unreachableMarker struct {
	mark func(context.Context, int64, time.Time) error
}

func (u unreachableMarker) markUnreachable(ctx context.Context, id int64, at time.Time) error {
	if u.mark == nil {
		return nil
	}
	return u.mark(ctx, id, at)
}

// reachStore is the Reach source as a marker of blocked customers, when
// it is one (an EngagementStore).
func (cs *Campaigns) reachStore() unreachableMarker {
	if m, ok := cs.reach.(interface {
		MarkUnreachable(context.Context, int64, time.Time) error
	}); ok {
		return unreachableMarker{m.MarkUnreachable}
	}
	return unreachableMarker{}
}

// Click records a press of a campaign button and answers the button, for
// the channel to act on (start its flow, call a rep).
func (cs *Campaigns) Click(ctx context.Context, contactID, sendID int64, index int) (*CampaignSend, CampaignButton, error) {
	s, err := cs.store.CampaignSend(ctx, sendID)
	if err != nil {
		return nil, CampaignButton{}, err
	}
	if s.ContactID != contactID {
		return nil, CampaignButton{}, Errorf(EFORBIDDEN, "not your message")
	}
	c, err := cs.Campaign(s.Campaign)
	if err != nil {
		return nil, CampaignButton{}, err
	}
	var buttons []CampaignButton
	for _, v := range c.Variants {
		if v.ID == s.Variant {
			for _, m := range v.Messages {
				buttons = append(buttons, m.Buttons...)
			}
		}
	}
	if index < 0 || index >= len(buttons) {
		return nil, CampaignButton{}, Errorf(EINVALID, "no such button")
	}
	b := buttons[index]
	s, err = cs.store.ClickSend(ctx, sendID, contactID, b.Action, b.Value, cs.clock.Now())
	return s, b, err
}

// Promote makes a variant take every further send of its campaign.
func (cs *Campaigns) Promote(ctx context.Context, id, variant string) error {
	c, err := cs.Campaign(id)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(c.Variants, func(v Variant) bool { return v.ID == variant }) {
		return Errorf(EINVALID, "campaign %s has no variant %q", id, variant)
	}
	return cs.store.Promote(ctx, id, variant, cs.clock.Now())
}
