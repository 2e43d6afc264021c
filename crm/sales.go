package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SalesPolicy is the routing configuration.
type SalesPolicy struct {
	Strategy Strategy
	// ClaimWithin: a hot lead not claimed this long after its card reached
	// the team is re-announced and the heads are mentioned.
	ClaimWithin time.Duration
	// ContactWithin: a claimed lead not marked contacted this long after
	// the claim gets its rep reminded.
	ContactWithin time.Duration
	LostReasons   []string
	TimeZone      *time.Location
	// OrderByProbability hands the routing queue's waiting leads out by
	// predicted win probability instead of by age (routing.order_by:
	// probability); it needs a WinEstimator.
	OrderByProbability bool
}

// SalesStore keeps the team and the sales side of leads. Writes that cause
// outgoing work take the jobs and queue them in the same transaction.
type SalesStore interface {
	// SyncTeam makes the stored team the configured one (by name) and
	// returns it with ids; managers no longer configured become inactive.
	SyncTeam(ctx context.Context, team []Manager) ([]Manager, error)
	// Card returns the lead with its contact, current answers (Question is
	// the step id, Value the stored value; Labeler makes them readable),
	// assignee id, claim and contact times, amount and escalation count.
	Card(ctx context.Context, leadID int64) (card *LeadCard, assignee int64, err error)
	// CardWithRefs is Card with the card's reference in each channel
	// where it was posted (channel -> ref), read in the same round trip:
	// an alert, a redraw and a relay need both, and each PostgreSQL round
	// trip costs CPU on the bot and the server for every hot lead.
	CardWithRefs(ctx context.Context, leadID int64) (card *LeadCard, assignee int64, refs map[string]string, err error)
	// SaveCardRef records where a card was posted and returns the
	// reference stored for its channel: the first post wins, so after a
	// concurrent post it is the other one. One write either way, so a
	// caller never reads the references back to learn which it was.
	SaveCardRef(ctx context.Context, p CardPost) (stored string, err error)
	// MarkAlerted records when the team first saw the lead (once).
	MarkAlerted(ctx context.Context, leadID int64, at time.Time) error
	// OpenLoad counts open (qualified or contacted) leads per manager id.
	OpenLoad(ctx context.Context) (map[int64]int, error)
	// LastAssignee is the manager of the latest assignment, 0 if none.
	LastAssignee(ctx context.Context) (int64, error)
	// PreviousManager is the manager of the contact's latest other lead
	// that had one, 0 if none.
	PreviousManager(ctx context.Context, contactID, exceptLead int64) (int64, error)
	// Assign gives an unclaimed lead to a manager and clears its waiting
	// flag, with an "assigned" event and jobs; ECONFLICT if claimed. It
	// returns the lead as stored after the assignment (its updated_at as
	// a read gives it), so that an alert puts the assignment on the card
	// it read instead of reading the card again.
	Assign(ctx context.Context, leadID, managerID int64, at time.Time, jobs []Job) (*Lead, error)
	// SetWaiting puts the lead in the routing queue with a "waiting"
	// event; ECONFLICT when it did not (claimed, or already waiting), so
	// that an alert knows whether its card may just show "waiting".
	SetWaiting(ctx context.Context, leadID int64, at time.Time) error
	// Waiting lists queued leads, oldest first.
	Waiting(ctx context.Context) ([]int64, error)
	// Act applies a rep's action atomically: the transition happens only
	// from the stages it allows and, unless anyOwner, only for the lead's
	// own manager. It records the events and queues jobs; a refused
	// transition is ECONFLICT or EFORBIDDEN with a message for the rep.
	Act(ctx context.Context, a Action, anyOwner bool, jobs []Job) (*Lead, error)
	// DueClaimBreaches lists hot qualified leads alerted before t and not
	// claimed, without a recorded claim breach.
	DueClaimBreaches(ctx context.Context, t time.Time) ([]int64, error)
	// DueContactBreaches lists qualified leads claimed before t and not
	// contacted, without a recorded contact breach.
	DueContactBreaches(ctx context.Context, t time.Time) ([]int64, error)
	// RecordBreach records an SLA breach of kind ("claim", "contact") once,
	// with an "sla_breached" event and the job; false if already recorded.
	RecordBreach(ctx context.Context, leadID int64, kind string, at time.Time, job Job) (bool, error)
	// WarmQualified lists warm leads qualified in [from, to).
	WarmQualified(ctx context.Context, from, to time.Time) ([]int64, error)
	// Enqueue queues jobs whose cause is the clock (digests).
	Enqueue(ctx context.Context, jobs ...Job) error
}

// CardPost is a card posted to a channel, for SaveCardRef.
type CardPost struct {
	LeadID  int64
	Channel string
	Ref     string
	At      time.Time
	// Alerted marks the lead alerted at At as well, in the same write as
	// MarkAlerted would: an alert sets it on its last channel's card
	// when every channel before it has its card, saving a round trip.
	Alerted bool
}

// Labeler turns stored answers into what the sales team reads: the
// question and the chosen option's text instead of step and option ids.
type Labeler interface {
	Label(lead *Lead, answers []CardAnswer) []CardAnswer
}

// NoticeWriter writes the team's notices about a lead in the team's
// language. A Labeler may implement it (bot.Labels does); without it the
// notices are English.
type NoticeWriter interface {
	// DetractorNotice is the alert about a low score (reason false), or
	// the follow-up with the reason the customer gave (reason true).
	DetractorNotice(card *LeadCard, score int, comment string, reason bool) string
	// WarmDigestTitle heads a digest of warm leads: of one day (since
	// false) or since a time (since true), t in the team's zone.
	WarmDigestTitle(t time.Time, since bool) string
	// HandoffNotice says the customer asked for a person from a
	// campaign's message while their lead was with the team.
	HandoffNotice(card *LeadCard, campaign string) string
	// UnansweredNotice says the customer has waited longer than waited
	// for an answer in the conversation.
	UnansweredNotice(card *LeadCard, waited time.Duration) string
	// CallbackReminder says a call-back rep planned for due (in rep's
	// zone) is due now.
	CallbackReminder(card *LeadCard, rep Manager, due time.Time) string
}

// warmDigestTitle is the title of a warm digest in the team's language
// when the Labeler writes notices, else in English.
func (s *Sales) warmDigestTitle(t time.Time, since bool) string {
	if w, ok := s.labels.(NoticeWriter); ok {
		return w.WarmDigestTitle(t, since)
	}
	if since {
		return "Warm leads since " + t.Format("Mon 2 Jan 15:04")
	}
	return "Warm leads of " + t.Format(time.DateOnly)
}

// CustomerNotifier tells a customer that a person has their request.
type CustomerNotifier interface {
	LeadClaimed(ctx context.Context, card *LeadCard, by Manager) error
}

// Sales routes hot leads to the team and moves them along the funnel. It
// is the crm side of every sales job; adapters call Act, cron calls Sweep
// and Digest, the queue calls Run.
type Sales struct {
	store     SalesStore
	policy    SalesPolicy
	notifiers []SalesNotifier
	customers CustomerNotifier
	labels    Labeler
	clock     Clock
	team      []Manager
	win       WinEstimator // nil: cards without a probability
}

// NewSales wires the sales desk. Call Sync before use.
func NewSales(store SalesStore, policy SalesPolicy, team []Manager, notifiers []SalesNotifier, customers CustomerNotifier, labels Labeler, clock Clock) *Sales {
	if policy.TimeZone == nil {
		policy.TimeZone = time.UTC
	}
	if policy.Strategy == "" {
		policy.Strategy = FirstClaim
	}
	return &Sales{store: store, policy: policy, team: team, notifiers: notifiers, customers: customers, labels: labels, clock: clock}
}

var _ SalesDesk = (*Sales)(nil)

// Sync stores the configured team and learns their ids.
func (s *Sales) Sync(ctx context.Context) error {
	team, err := s.store.SyncTeam(ctx, s.team)
	if err != nil {
		return fmt.Errorf("sync team: %w", err)
	}
	s.team = team
	return nil
}

// Team is the configured team with ids.
func (s *Sales) Team() []Manager { return slices.Clone(s.team) }

// ManagerBySlack finds a team member by Slack user id.
func (s *Sales) ManagerBySlack(id string) (Manager, bool) {
	for _, m := range s.team {
		if id != "" && m.SlackID == id {
			return m, true
		}
	}
	return Manager{}, false
}

// ManagerByTelegram finds a team member by Telegram user id.
func (s *Sales) ManagerByTelegram(id int64) (Manager, bool) {
	for _, m := range s.team {
		if id != 0 && m.TelegramID == id {
			return m, true
		}
	}
	return Manager{}, false
}

func (s *Sales) managerByID(id int64) (Manager, bool) {
	for _, m := range s.team {
		if m.ID == id {
			return m, true
		}
	}
	return Manager{}, false
}

// LostReasons is the configured list.
func (s *Sales) LostReasons() []string { return slices.Clone(s.policy.LostReasons) }

// AlertJobs is the decision of when the team hears of a lead: a hot lead
// is announced when its dialogue is finished (so the card has the phone or
// email to act on); warm leads wait for the digest; cold ones for the
// reports.
func AlertJobs(leadID int64, stage Stage, t Temperature) []Job {
	if stage == StageQualified && t == Hot {
		return []Job{{Kind: JobSalesAlert, LeadID: leadID}}
	}
	return nil
}

// Act applies a rep's button press.
func (s *Sales) Act(ctx context.Context, a Action) (*LeadCard, error) {
	if _, ok := s.managerByID(a.By.ID); !ok || a.By.ID == 0 {
		return nil, Errorf(EFORBIDDEN, "only the sales team can do this")
	}
	switch a.Kind {
	case ActClaim, ActContacted, ActReopen:
	case ActWon:
		amount, err := CheckAmount(a.Amount)
		if err != nil {
			return nil, err
		}
		a.Amount = amount // in cents, as stored, so that the event says the same
	case ActLost:
		if !slices.Contains(s.policy.LostReasons, a.Reason) {
			return nil, Errorf(EINVALID, "pick a reason from the list")
		}
	default:
		return nil, Errorf(EINVALID, "unknown action %q", a.Kind)
	}
	if a.At.IsZero() {
		a.At = s.clock.Now()
	}
	jobs := []Job{{Kind: JobCardUpdate, LeadID: a.LeadID, Key: string(a.Kind) + "@" + strconv.FormatInt(a.At.UnixNano(), 10)}}
	if a.Kind == ActClaim && !a.ByReply {
		jobs = append(jobs, Job{Kind: JobCustomerNotice, LeadID: a.LeadID, Key: "claimed"})
	}
	anyOwner := a.By.Role == RoleHead || a.By.Role == RoleAdmin
	if _, err := s.store.Act(ctx, a, anyOwner, jobs); err != nil {
		return nil, fmt.Errorf("%s lead %d: %w", a.Kind, a.LeadID, err)
	}
	return s.card(ctx, a.LeadID)
}

// LeadCard is a lead's card as the team sees it now (/lead in the sales
// group).
func (s *Sales) LeadCard(ctx context.Context, leadID int64) (*LeadCard, error) {
	return s.card(ctx, leadID)
}

// card assembles a lead's card as the team sees it now.
func (s *Sales) card(ctx context.Context, leadID int64) (*LeadCard, error) {
	c, assignee, err := s.store.Card(ctx, leadID)
	if err != nil {
		return nil, err
	}
	return s.present(ctx, c, assignee), nil
}

// present turns the card's stored facts (c as the store read it, the
// assignee's id) into the card the team sees now: the assignee, erasure,
// the win probability, readable answers, the lost reasons and the clock.
// It is apart from the read so that an alert can route the lead on the
// facts it read and present them once, with the assignment, rather than
// read them again.
func (s *Sales) present(ctx context.Context, c *LeadCard, assignee int64) *LeadCard {
	if assignee != 0 {
		if m, ok := s.managerByID(assignee); ok {
			c.Assignee = &m
		}
	}
	eraseCard(c)
	if s.win != nil {
		// A card without its probability beats no card: an error only
		// leaves the line out.
		c.Win, _ = s.win.Estimate(ctx, c)
	}
	if s.labels != nil {
		c.Answers = s.labels.Label(&c.Lead, c.Answers)
	}
	if c.Erased {
		c.ErasedNote = ErasedCustomerNote
		if l, ok := s.labels.(ErasureLabeler); ok {
			if note := l.ErasedNote(&c.Lead); note != "" {
				c.ErasedNote = note
			}
		}
	}
	c.LostReasons = s.LostReasons()
	c.Now = s.clock.Now()
	return c
}

// Run does one queued job. An error retries it with the queue's backoff.
func (s *Sales) Run(ctx context.Context, job Job) error {
	switch job.Kind {
	case JobSalesAlert:
		return s.alert(ctx, job.LeadID, job.Interrupted || job.Attempt > 1)
	case JobCardUpdate:
		return s.updateCards(ctx, job.LeadID)
	case JobCustomerNotice:
		if job.Interrupted {
			// Telegram cannot be asked whether the notice went out
			// before the crash; one lost notice beats one told twice.
			return nil
		}
		return s.noticeCustomer(ctx, job.LeadID)
	case JobEscalate:
		return s.escalate(ctx, job.LeadID)
	case JobRemind:
		return s.remind(ctx, job.LeadID)
	case JobWarmDigest:
		return s.digest(ctx, job.Key)
	case JobHandoff:
		return s.handoff(ctx, job.LeadID, job.Key)
	}
	return Errorf(EINVALID, "unknown job kind %q", job.Kind)
}

// alert routes a hot lead and posts its card to every channel that has not
// got it yet, so a retried alert finishes what a crashed one began. On a
// retry (after a crash, or after an error that may have come after the
// post, such as the database failing to record it) a channel that can
// find its cards (CardFinder) is asked first.
//
// The card and its references are one read; routing puts the assignment
// on the facts read (what Assign stored, or "waiting") and reads again
// only when the lead changed under it, so the card posted is the one a
// read after routing would give, without that round trip.
func (s *Sales) alert(ctx context.Context, leadID int64, retried bool) error {
	var r storedCard
	var err error
	if r.card, r.assignee, r.refs, err = s.store.CardWithRefs(ctx, leadID); err != nil {
		return err
	}
	now := s.clock.Now()
	c := r.card
	_, known := s.managerByID(r.assignee)
	unassigned := r.assignee == 0 || !known // the card shows no assignee
	if s.policy.Strategy != FirstClaim && unassigned && c.ClaimedAt == nil && !c.Waiting && c.Lead.Stage == StageQualified {
		if err := s.route(ctx, &r, now); err != nil {
			return err
		}
	}
	card := s.present(ctx, r.card, r.assignee)
	var errs []error
	alerted := false
	for i, n := range s.notifiers {
		if ref, ok := r.refs[n.Channel()]; ok {
			errs = append(errs, n.UpdateCard(ctx, ref, card))
			continue
		}
		// The last channel's record marks the lead alerted too when every
		// channel before it has its card: what MarkAlerted below would do,
		// in the same write.
		last := i == len(s.notifiers)-1 && errors.Join(errs...) == nil
		_, err := s.postCard(ctx, n, card, retried, now, last)
		alerted = last && err == nil
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil || alerted {
		return err
	}
	return s.store.MarkAlerted(ctx, leadID, now)
}

// postCard posts the lead's card to n and records it, marking the lead
// alerted in the same write when alerted; on a retry a channel that can
// find its cards (CardFinder) is asked first. It returns the stored
// reference: the first post's, should a concurrent alert have won.
func (s *Sales) postCard(ctx context.Context, n SalesNotifier, card *LeadCard, retried bool, now time.Time, alerted bool) (string, error) {
	post := CardPost{LeadID: card.Lead.ID, Channel: n.Channel(), At: now, Alerted: alerted}
	if f, ok := n.(CardFinder); ok && retried {
		ref, found, err := f.FindCard(ctx, post.LeadID)
		if err != nil {
			return "", fmt.Errorf("find card in %s: %w", n.Channel(), err)
		}
		if found {
			post.Ref = ref
			return s.store.SaveCardRef(ctx, post)
		}
	}
	ref, err := n.PostCard(ctx, card)
	if err != nil {
		return "", fmt.Errorf("post card to %s: %w", n.Channel(), err)
	}
	post.Ref = ref
	return s.store.SaveCardRef(ctx, post)
}

// storedCard is a lead's card as the store read it (CardWithRefs): the facts
// present turns into the card the team sees, the assignee's id and the
// card's references.
type storedCard struct {
	card     *LeadCard
	assignee int64
	refs     map[string]string
}

// route picks the rep for a lead, or queues it when nobody takes leads,
// and puts the outcome on r, the card as read: the lead as Assign stored
// it, no longer waiting, with its rep; or waiting. Should the lead have
// changed since r was read (claimed or queued meanwhile: ECONFLICT), r
// is read again, as the card now is.
func (s *Sales) route(ctx context.Context, r *storedCard, now time.Time) error {
	c := r.card
	load, err := s.store.OpenLoad(ctx)
	if err != nil {
		return err
	}
	var last, previous int64
	switch s.policy.Strategy {
	case RoundRobin:
		if last, err = s.store.LastAssignee(ctx); err != nil {
			return err
		}
	case Sticky:
		if previous, err = s.store.PreviousManager(ctx, c.Contact.ID, c.Lead.ID); err != nil {
			return err
		}
	}
	m, ok := Pick(s.policy.Strategy, s.team, load, last, previous, now, s.policy.TimeZone)
	if !ok {
		if err = s.store.SetWaiting(ctx, c.Lead.ID, now); err == nil {
			c.Waiting = true
			return nil
		}
	} else {
		var lead *Lead
		if lead, err = s.store.Assign(ctx, c.Lead.ID, m.ID, now, nil); err == nil {
			c.Lead, c.Waiting, r.assignee = *lead, false, m.ID
			return nil
		}
	}
	if ErrorCode(err) != ECONFLICT {
		return err
	}
	// Claimed (or queued) meanwhile: nothing to route; the card is as it
	// is now.
	r.card, r.assignee, r.refs, err = s.store.CardWithRefs(ctx, c.Lead.ID)
	return err
}

func (s *Sales) updateCards(ctx context.Context, leadID int64) error {
	return s.toChannels(ctx, leadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		switch {
		case ref != "":
			return n.UpdateCard(ctx, ref, card)
		case card.AlertedAt == nil && AlertJobs(card.Lead.ID, StageQualified, card.Lead.Temperature) != nil:
			// The alert is still posting the card: retry (with the
			// queue's backoff) rather than lose this update.
			return Errorf(ECONFLICT, "the card of lead %d is not posted yet", card.Lead.ID)
		case card.ClaimedAt != nil && (card.Lead.Stage == StageQualified || card.Lead.Stage == StageContacted):
			// Claimed without a card there (from the warm digest, by
			// /claim): the rep gets the full card to work it from, and it
			// follows the lead from now on.
			ref, err := n.PostCard(ctx, card)
			if err != nil {
				return fmt.Errorf("post card to %s: %w", n.Channel(), err)
			}
			_, err = s.store.SaveCardRef(ctx, CardPost{LeadID: leadID, Channel: n.Channel(), Ref: ref, At: s.clock.Now()})
			return err
		}
		return nil // never posted there (a warm lead, a channel added since)
	})
}

// toChannels builds the lead's card and calls do for every sales channel
// with the card's reference there ("" when it has none), joining the
// errors so one channel's failure does not stop the others.
func (s *Sales) toChannels(ctx context.Context, leadID int64, do func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error) error {
	card, refs, err := s.cardAndRefs(ctx, leadID)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range s.notifiers {
		errs = append(errs, do(ctx, n, refs[n.Channel()], card))
	}
	return errors.Join(errs...)
}

func (s *Sales) noticeCustomer(ctx context.Context, leadID int64) error {
	if s.customers == nil {
		return nil
	}
	card, err := s.card(ctx, leadID)
	if err != nil || card.Assignee == nil {
		return err
	}
	return s.customers.LeadClaimed(ctx, card, *card.Assignee)
}

func (s *Sales) heads() []Manager {
	var out []Manager
	for _, m := range s.team {
		if m.Role == RoleHead {
			out = append(out, m)
		}
	}
	return out
}

func (s *Sales) escalate(ctx context.Context, leadID int64) error {
	return s.toChannels(ctx, leadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		if card.ClaimedAt != nil || card.Lead.Stage != StageQualified {
			return nil // claimed or closed since the breach: nothing to say
		}
		return n.Escalate(ctx, ref, card, s.heads())
	})
}

func (s *Sales) remind(ctx context.Context, leadID int64) error {
	return s.toChannels(ctx, leadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		if card.Assignee == nil || card.ContactedAt != nil || card.Lead.Stage != StageQualified {
			return nil // contacted or closed since the breach
		}
		return n.Remind(ctx, ref, card, *card.Assignee)
	})
}

// Sweep is the SLA and queue tick: it records breaches due at now (each
// once, with its job) and hands waiting leads to reps who came on duty,
// oldest first. Safe to run on several replicas and again after a failure.
func (s *Sales) Sweep(ctx context.Context, now time.Time) error {
	if s.policy.ClaimWithin > 0 {
		ids, err := s.store.DueClaimBreaches(ctx, now.Add(-s.policy.ClaimWithin))
		if err != nil {
			return fmt.Errorf("sweep claims: %w", err)
		}
		for _, id := range ids {
			if _, err := s.store.RecordBreach(ctx, id, "claim", now, Job{Kind: JobEscalate, LeadID: id}); err != nil {
				return fmt.Errorf("sweep claims: %w", err)
			}
		}
	}
	if s.policy.ContactWithin > 0 {
		ids, err := s.store.DueContactBreaches(ctx, now.Add(-s.policy.ContactWithin))
		if err != nil {
			return fmt.Errorf("sweep contacts: %w", err)
		}
		for _, id := range ids {
			if _, err := s.store.RecordBreach(ctx, id, "contact", now, Job{Kind: JobRemind, LeadID: id}); err != nil {
				return fmt.Errorf("sweep contacts: %w", err)
			}
		}
	}
	if s.policy.Strategy == FirstClaim {
		return nil
	}
	waiting, err := s.store.Waiting(ctx)
	if err != nil {
		return fmt.Errorf("sweep queue: %w", err)
	}
	if s.policy.OrderByProbability && s.win != nil {
		waiting = s.byProbability(ctx, waiting)
	}
	for _, id := range waiting {
		load, err := s.store.OpenLoad(ctx)
		if err != nil {
			return err
		}
		m, ok := Pick(LeastLoaded, s.team, load, 0, 0, now, s.policy.TimeZone)
		if !ok {
			return nil // still nobody: the rest wait too
		}
		_, err = s.store.Assign(ctx, id, m.ID, now, []Job{{Kind: JobCardUpdate, LeadID: id, Key: "assigned@" + strconv.FormatInt(now.UnixNano(), 10)}})
		if err != nil && ErrorCode(err) != ECONFLICT {
			return fmt.Errorf("sweep queue: %w", err)
		}
	}
	return nil
}

// byProbability orders the queue by predicted win probability, highest
// first; leads without one (no model, an error) keep their place after
// them, oldest first.
func (s *Sales) byProbability(ctx context.Context, ids []int64) []int64 {
	prob := make(map[int64]float64, len(ids))
	for _, id := range ids {
		prob[id] = -1
		if c, _, err := s.store.Card(ctx, id); err == nil {
			if est, err := s.win.Estimate(ctx, c); err == nil && est.Ready {
				prob[id] = est.Probability
			}
		}
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b int64) int {
		switch {
		case prob[a] > prob[b]:
			return -1
		case prob[a] < prob[b]:
			return 1
		}
		return 0
	})
	return out
}

// SetWinEstimator makes cards show the predicted win probability (and,
// with SalesPolicy.OrderByProbability, orders the routing queue by it).
func (s *Sales) SetWinEstimator(e WinEstimator) { s.win = e }

// Digest queues the warm-lead digest for the day before now (in the
// policy's time zone), once per day.
func (s *Sales) Digest(ctx context.Context, now time.Time) error {
	day := now.In(s.policy.TimeZone).AddDate(0, 0, -1).Format(time.DateOnly)
	return s.store.Enqueue(ctx, Job{Kind: JobWarmDigest, Key: day})
}

func (s *Sales) digest(ctx context.Context, day string) error {
	from, err := time.ParseInLocation(time.DateOnly, day, s.policy.TimeZone)
	if err != nil {
		return Errorf(EINVALID, "digest day %q: %v", day, err)
	}
	ids, err := s.store.WarmQualified(ctx, from, from.AddDate(0, 0, 1))
	if err != nil || len(ids) == 0 {
		return err
	}
	cards := make([]*LeadCard, 0, len(ids))
	for _, id := range ids {
		c, err := s.card(ctx, id)
		if err != nil {
			return err
		}
		cards = append(cards, c)
	}
	var errs []error
	for _, n := range s.notifiers {
		errs = append(errs, n.Digest(ctx, s.warmDigestTitle(from, false), cards))
	}
	return errors.Join(errs...)
}

// handoff tells the team, under the lead's card and mentioning its rep
// and the heads, that the customer asked for a person (a campaign's
// "call a manager" button) while their request was already with the
// team: the lead needs a person now, not when its SLA says so. key is
// "<campaign>:<send>".
func (s *Sales) handoff(ctx context.Context, leadID int64, key string) error {
	campaign, _, _ := strings.Cut(key, ":")
	return s.Announce(ctx, leadID, func(c *LeadCard) string {
		if w, ok := s.labels.(NoticeWriter); ok {
			return w.HandoffNotice(c, campaign)
		}
		text := fmt.Sprintf("🙋 %s asked for a manager (campaign %s) on lead #%d", displayName(c), campaign, c.Lead.ID)
		if c.Assignee != nil {
			text += " (" + c.Assignee.Name + "'s lead)"
		}
		return text + ". Please reach them now."
	})
}

// SalesNotifier puts leads in front of the sales team: a Slack channel, a
// Telegram sales group. Each returns a reference to the card it posted so
// the card can be updated in place.
type SalesNotifier interface {
	// Channel names the notifier ("slack", "telegram"): card references are
	// kept per channel.
	Channel() string
	PostCard(ctx context.Context, card *LeadCard) (ref string, err error)
	UpdateCard(ctx context.Context, ref string, card *LeadCard) error
	// Escalate re-announces an unclaimed lead under its card, mentioning
	// the heads of sales.
	Escalate(ctx context.Context, ref string, card *LeadCard, heads []Manager) error
	// Remind tells the rep a claimed lead still waits for contact.
	Remind(ctx context.Context, ref string, card *LeadCard, rep Manager) error
	// Digest posts several (warm) leads in one message.
	Digest(ctx context.Context, title string, cards []*LeadCard) error
	// Notify posts text about a lead (under its card when ref is set),
	// mentioning the given members: a detractor's score, say.
	Notify(ctx context.Context, ref string, card *LeadCard, text string, mention []Manager) error
}

// cardAndRefs is the lead's card and its reference in each channel where
// it was posted: what redrawing it, or writing under it, needs. One read.
func (s *Sales) cardAndRefs(ctx context.Context, leadID int64) (*LeadCard, map[string]string, error) {
	c, assignee, refs, err := s.store.CardWithRefs(ctx, leadID)
	if err != nil {
		return nil, nil, err
	}
	return s.present(ctx, c, assignee), refs, nil
}
