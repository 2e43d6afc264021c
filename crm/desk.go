package crm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Job kinds of the rep's desk.
const (
	// JobCallbackDue reminds a rep of a call-back, with the lead's card;
	// Key is the call-back's id.
	JobCallbackDue = "callback_due"
)

// OpenLead is one line of a rep's /my: an open lead with its age, stage
// and next call-back.
type OpenLead struct {
	LeadID      int64
	Name        string // the customer's name as the team reads it; "" when erased or unknown
	Stage       Stage
	Temperature Temperature
	QualifiedAt time.Time
	ClaimedAt   *time.Time
	NextCall    *time.Time
}

// DeskStore keeps what reps do with a lead beyond the funnel's buttons.
// Each write takes the jobs its change causes and queues them in its
// transaction.
type DeskStore interface {
	// AddNote stores a note with a "note" event; ENOTFOUND for no lead.
	AddNote(ctx context.Context, n Note, jobs []Job) (Note, error)
	// Notes lists a lead's notes, oldest first.
	Notes(ctx context.Context, leadID int64) ([]Note, error)
	// Reassign gives an open lead to manager to, claimed, with a
	// "reassigned" event; it returns the previous manager's id (0 for
	// none). ECONFLICT when the lead is closed or already to's.
	Reassign(ctx context.Context, leadID int64, to, by Manager, at time.Time, jobs []Job) (from int64, err error)
	// Unclaim takes an open lead back from its manager: no manager, no
	// claim, waiting for routing when requeue; an "unclaimed" event.
	// Unless anyOwner only the lead's own manager may; EFORBIDDEN
	// otherwise, ECONFLICT when it is not claimed or closed.
	Unclaim(ctx context.Context, leadID int64, by Manager, anyOwner, requeue bool, at time.Time, jobs []Job) error
	// ScheduleCallback stores c as the lead's pending call-back (replacing
	// one pending) with a "callback_scheduled" event, and returns its id.
	ScheduleCallback(ctx context.Context, c Callback) (int64, error)
	// DueCallbacks lists pending call-backs due at or before t, of open
	// leads, oldest first.
	DueCallbacks(ctx context.Context, t time.Time) ([]Callback, error)
	// MarkCallbackDue marks a pending call-back reminded, with its job;
	// false when it was already (or was replaced).
	MarkCallbackDue(ctx context.Context, id int64, at time.Time, job Job) (bool, error)
	// Callback returns a call-back by id.
	Callback(ctx context.Context, id int64) (Callback, error)
	// OpenLeads lists the manager's open (qualified, contacted) leads,
	// oldest first, each with its next pending call-back.
	OpenLeads(ctx context.Context, managerID int64) ([]OpenLead, error)
	// LastDigest is the end of the latest warm digest's window, nil
	// before the first.
	LastDigest(ctx context.Context) (*time.Time, error)
	// RecordDigest records the digest window [from, to) with its job,
	// once per to; false when it was recorded already.
	RecordDigest(ctx context.Context, from, to time.Time, job Job) (bool, error)
	// DigestWindow returns the from of the window recorded as ending at to.
	DigestWindow(ctx context.Context, to time.Time) (time.Time, error)
	// WarmUnclaimed lists warm qualified leads, not claimed, qualified in
	// [from, to), oldest first.
	WarmUnclaimed(ctx context.Context, from, to time.Time) ([]int64, error)
}

// MayAssign is who may give a lead to someone else: heads and admins.
// A rep hands a lead back with unclaim instead.
func MayAssign(by Manager) bool { return by.Role == RoleHead || by.Role == RoleAdmin }

// MayUnclaim is who may take a lead back from its manager: the manager
// themself, heads and admins.
func MayUnclaim(by Manager, ownerID int64) bool {
	return MayAssign(by) || (ownerID != 0 && ownerID == by.ID)
}

// FindManager finds a team member by what a head types after /assign: the
// full name, the first name, a Slack or Telegram @username-less id, any
// case. An ambiguous or unknown name is EINVALID listing the team.
func FindManager(team []Manager, name string) (Manager, error) {
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "@"))
	names := make([]string, 0, len(team))
	for _, m := range team {
		names = append(names, m.Name)
	}
	list := strings.Join(names, ", ")
	if name == "" {
		return Manager{}, Errorf(EINVALID, "whom to? The team: %s", list)
	}
	var found []Manager
	for _, m := range team {
		full := strings.ToLower(m.Name)
		if full == name || strings.ToLower(m.SlackID) == name || (m.TelegramID != 0 && strconv.FormatInt(m.TelegramID, 10) == name) {
			return m, nil
		}
		if first, _, _ := strings.Cut(full, " "); first == name || strings.HasPrefix(full, name) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Manager{}, Errorf(EINVALID, "nobody called %q in the team: %s", name, list)
	}
	return Manager{}, Errorf(EINVALID, "%q could be several people: %s", name, list)
}

// Desk is the rep's daily tools on a lead: notes, reassigning and
// unclaiming, call-backs, the list of one's open leads, and the warm-lead
// digest that leaves none between schedules. It works through Sales for
// the cards and the team, the same in every channel.
type Desk struct {
	sales *Sales
	store DeskStore
}

// NewDesk wires the desk to the sales desk it extends.
func NewDesk(sales *Sales, store DeskStore) *Desk { return &Desk{sales: sales, store: store} }

// Now is the desk's clock.
func (d *Desk) Now() time.Time { return d.sales.clock.Now() }

// Location is m's time zone, else the team's.
func (d *Desk) Location(m Manager) *time.Location {
	if m.TimeZone != "" {
		if loc, err := time.LoadLocation(m.TimeZone); err == nil {
			return loc
		}
	}
	return d.sales.policy.TimeZone
}

func (d *Desk) member(by Manager) error {
	if _, ok := d.sales.managerByID(by.ID); !ok || by.ID == 0 {
		return Errorf(EFORBIDDEN, "only the sales team can do this")
	}
	return nil
}

func cardJob(leadID int64, what string, at time.Time) Job {
	return Job{Kind: JobCardUpdate, LeadID: leadID, Key: what + "@" + strconv.FormatInt(at.UnixNano(), 10)}
}

// Note adds by's note to a lead. A rep notes their own leads; heads and
// admins any.
func (d *Desk) Note(ctx context.Context, by Manager, leadID int64, text string) (*LeadCard, error) {
	if err := d.member(by); err != nil {
		return nil, err
	}
	text, err := CheckNote(text)
	if err != nil {
		return nil, err
	}
	if err := d.mayTouch(ctx, by, leadID); err != nil {
		return nil, err
	}
	now := d.sales.clock.Now()
	if _, err := d.store.AddNote(ctx, Note{LeadID: leadID, ManagerID: by.ID, Author: by.Name, Text: text, CreatedAt: now},
		[]Job{cardJob(leadID, "note", now)}); err != nil {
		return nil, fmt.Errorf("note lead %d: %w", leadID, err)
	}
	return d.sales.card(ctx, leadID)
}

// Notes lists a lead's notes for by (whoever may see the lead).
func (d *Desk) Notes(ctx context.Context, by Manager, leadID int64) ([]Note, error) {
	if err := d.mayTouch(ctx, by, leadID); err != nil {
		return nil, err
	}
	return d.store.Notes(ctx, leadID)
}

// mayTouch: a rep works their own leads and unassigned ones; heads and
// admins every lead.
func (d *Desk) mayTouch(ctx context.Context, by Manager, leadID int64) error {
	_, owner, err := d.sales.store.Card(ctx, leadID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "Lead #%d not found.", leadID)
		}
		return err
	}
	if MayAssign(by) || owner == 0 || owner == by.ID {
		return nil
	}
	return Errorf(EFORBIDDEN, "lead #%d is someone else's", leadID)
}

// Assign gives a lead to the member named to (heads and admins only),
// claimed in their name; the cards are updated and the customer is told
// who will call now.
func (d *Desk) Assign(ctx context.Context, by Manager, leadID int64, to string) (*LeadCard, error) {
	if err := d.member(by); err != nil {
		return nil, err
	}
	if !MayAssign(by) {
		return nil, Errorf(EFORBIDDEN, "only a head of sales reassigns leads; /unclaim %d gives yours back", leadID)
	}
	m, err := FindManager(d.sales.Team(), to)
	if err != nil {
		return nil, err
	}
	now := d.sales.clock.Now()
	jobs := []Job{cardJob(leadID, "reassigned", now),
		{Kind: JobCustomerNotice, LeadID: leadID, Key: "reassigned@" + strconv.FormatInt(now.UnixNano(), 10)}}
	if _, err := d.store.Reassign(ctx, leadID, m, by, now, jobs); err != nil {
		return nil, fmt.Errorf("assign lead %d: %w", leadID, err)
	}
	return d.sales.card(ctx, leadID)
}

// Unclaim gives a lead back: it loses its manager and claim and, unless
// the team claims by hand (first_claim), waits for routing to give it to
// the next rep on duty. A rep unclaims their own; heads and admins any.
func (d *Desk) Unclaim(ctx context.Context, by Manager, leadID int64) (*LeadCard, error) {
	if err := d.member(by); err != nil {
		return nil, err
	}
	now := d.sales.clock.Now()
	requeue := d.sales.policy.Strategy != FirstClaim
	if err := d.store.Unclaim(ctx, leadID, by, MayAssign(by), requeue, now, []Job{cardJob(leadID, "unclaimed", now)}); err != nil {
		return nil, fmt.Errorf("unclaim lead %d: %w", leadID, err)
	}
	return d.sales.card(ctx, leadID)
}

// ScheduleCallback reads when (see ParseCallback) in by's time zone and
// schedules the call-back for the lead's manager (by, when by is the
// one who has it or a head sets it for an unassigned lead). The lead must
// be open and by's or, for heads, anyone's.
func (d *Desk) ScheduleCallback(ctx context.Context, by Manager, leadID int64, when string) (*LeadCard, time.Time, error) {
	if err := d.member(by); err != nil {
		return nil, time.Time{}, err
	}
	now := d.sales.clock.Now()
	due, err := ParseCallback(when, now, d.Location(by))
	if err != nil {
		return nil, time.Time{}, err
	}
	card, owner, err := d.sales.store.Card(ctx, leadID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil, time.Time{}, Errorf(ENOTFOUND, "Lead #%d not found.", leadID)
	case err != nil:
		return nil, time.Time{}, err
	case !CallbackStage(card.Lead.Stage):
		return nil, time.Time{}, Errorf(ECONFLICT, "lead #%d is %s", leadID, card.Lead.Stage)
	case owner != 0 && owner != by.ID && !MayAssign(by):
		return nil, time.Time{}, Errorf(EFORBIDDEN, "lead #%d is someone else's", leadID)
	case owner == 0 && !MayAssign(by):
		return nil, time.Time{}, Errorf(ECONFLICT, "claim lead #%d first", leadID)
	}
	rep := owner
	if rep == 0 {
		rep = by.ID
	}
	if _, err := d.store.ScheduleCallback(ctx, Callback{LeadID: leadID, ManagerID: rep, DueAt: due, CreatedAt: now}); err != nil {
		return nil, time.Time{}, fmt.Errorf("schedule call-back of lead %d: %w", leadID, err)
	}
	c, err := d.sales.card(ctx, leadID)
	return c, due, err
}

// CallbackStage reports whether a lead in stage takes a call-back: an
// open lead with a rep, and a won one, whose customer the team may need
// to call again (a detractor's alert offers it: LeadCard.FollowUp). A
// new, qualifying or lost lead has nobody to call back yet, or any more.
func CallbackStage(s Stage) bool {
	return s == StageQualified || s == StageContacted || s == StageWon
}

// My lists m's open leads, oldest first.
func (d *Desk) My(ctx context.Context, m Manager) ([]OpenLead, error) {
	if err := d.member(m); err != nil {
		return nil, err
	}
	return d.store.OpenLeads(ctx, m.ID)
}

// SweepCallbacks queues a reminder for every call-back due at now, each
// once. Safe to run on several replicas and again after a failure.
func (d *Desk) SweepCallbacks(ctx context.Context, now time.Time) error {
	due, err := d.store.DueCallbacks(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep call-backs: %w", err)
	}
	for _, c := range due {
		job := Job{Kind: JobCallbackDue, LeadID: c.LeadID, Key: strconv.FormatInt(c.ID, 10)}
		if _, err := d.store.MarkCallbackDue(ctx, c.ID, now, job); err != nil {
			return fmt.Errorf("sweep call-backs: %w", err)
		}
	}
	return nil
}

// DigestWindow is the warm digest's window at now: from the end of the
// previous digest (prev), so that no lead falls between two schedules
// whatever days the schedule skips, or, before the first digest, from the
// start of the previous day in tz.
func DigestWindow(prev *time.Time, now time.Time, tz *time.Location) (from, to time.Time) {
	if prev != nil && prev.Before(now) {
		return *prev, now
	}
	y, m, d := now.In(tz).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, tz), now
}

// digestKeyLayout keys a digest job by the end of its window.
const digestKeyLayout = time.RFC3339Nano

// Digest queues the warm digest of the window since the previous one
// (DigestWindow), recording the window with its job so that a tick run
// twice queues it once.
func (d *Desk) Digest(ctx context.Context, now time.Time) error {
	prev, err := d.store.LastDigest(ctx)
	if err != nil {
		return fmt.Errorf("warm digest: %w", err)
	}
	from, to := DigestWindow(prev, now, d.sales.policy.TimeZone)
	if !from.Before(to) {
		return nil
	}
	_, err = d.store.RecordDigest(ctx, from, to, Job{Kind: JobWarmDigest, Key: to.UTC().Format(digestKeyLayout)})
	return err
}

// Handles reports whether a job is the desk's: call-back reminders, and
// digests keyed by their window's end (a digest keyed by a day, queued
// before the desk existed, is Sales's).
func (d *Desk) Handles(job Job) bool {
	if job.Kind == JobCallbackDue {
		return true
	}
	if job.Kind == JobWarmDigest {
		_, err := time.Parse(digestKeyLayout, job.Key)
		return err == nil && strings.Contains(job.Key, "T")
	}
	return false
}

// Run does one of the desk's jobs.
func (d *Desk) Run(ctx context.Context, job Job) error {
	switch job.Kind {
	case JobCallbackDue:
		id, err := strconv.ParseInt(job.Key, 10, 64)
		if err != nil {
			return Errorf(EINVALID, "call-back job key %q", job.Key)
		}
		return d.remindCallback(ctx, id, job.Interrupted)
	case JobWarmDigest:
		to, err := time.Parse(digestKeyLayout, job.Key)
		if err != nil {
			return Errorf(EINVALID, "digest job key %q", job.Key)
		}
		return d.digest(ctx, to)
	}
	return Errorf(EINVALID, "unknown job kind %q", job.Kind)
}

func (d *Desk) digest(ctx context.Context, to time.Time) error {
	from, err := d.store.DigestWindow(ctx, to)
	if err != nil {
		return err
	}
	ids, err := d.store.WarmUnclaimed(ctx, from, to)
	if err != nil || len(ids) == 0 {
		return err
	}
	cards := make([]*LeadCard, 0, len(ids))
	for _, id := range ids {
		c, err := d.sales.card(ctx, id)
		if err != nil {
			return err
		}
		cards = append(cards, c)
	}
	tz := d.sales.policy.TimeZone
	title := d.sales.warmDigestTitle(from.In(tz), true)
	var errs []error
	for _, n := range d.sales.notifiers {
		errs = append(errs, n.Digest(ctx, title, cards))
	}
	return errors.Join(errs...)
}

// remindCallback tells the rep under the lead's card in every channel
// (posting the card first where it has none, a warm lead's say) that the
// call-back is due. A lead closed since, or a call-back replaced, says
// nothing.
func (d *Desk) remindCallback(ctx context.Context, id int64, interrupted bool) error {
	c, err := d.store.Callback(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	rep, ok := d.sales.managerByID(c.ManagerID)
	if !ok {
		return nil // no longer in the team
	}
	now := d.sales.clock.Now()
	return d.sales.toChannels(ctx, c.LeadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		if !CallbackStage(card.Lead.Stage) {
			return nil
		}
		text := "⏰ Call back now: lead #" + strconv.FormatInt(c.LeadID, 10) + ", as " + rep.Name + " planned for " +
			c.DueAt.In(d.Location(rep)).Format("Mon 2 Jan 15:04")
		if w, ok := d.sales.labels.(NoticeWriter); ok {
			text = w.CallbackReminder(card, rep, c.DueAt.In(d.Location(rep)))
		}
		card.FollowUp = card.Lead.Stage == StageWon // the reminder offers to call back again
		if ref == "" {
			if interrupted {
				return nil // the card may be out already; the text alone would be worse than nothing
			}
			r, err := n.PostCard(ctx, card)
			if err != nil {
				return fmt.Errorf("post card to %s: %w", n.Channel(), err)
			}
			if ref, err = d.sales.store.SaveCardRef(ctx, CardPost{LeadID: c.LeadID, Channel: n.Channel(), Ref: r, At: now}); err != nil {
				return err
			}
		}
		return n.Notify(ctx, ref, card, text, []Manager{rep})
	})
}
