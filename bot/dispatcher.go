package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Gate admits a customer's updates: each update once, across replicas, and
// one at a time per chat, with the chat's session (Redis in production,
// see storage/redis's gate for how that costs two round trips).
type Gate interface {
	// Enter admits update updateID of chatID (0: an update without an id,
	// never de-duplicated), waiting for the chat's turn up to ctx's end,
	// and takes the chat's session out of the store. lease bounds how long
	// a replica that dies mid-update blocks the chat and the update.
	Enter(ctx context.Context, updateID, chatID int64, lease time.Duration) (Turn, error)
}

// Turn is an update's hold on its chat, from Gate.Enter to Release.
type Turn interface {
	// Duplicate: the update was handled before. InProgress: another
	// replica has it in hand now. Neither: it is admitted.
	Duplicate() bool
	InProgress() bool
	// Session is the chat's stored session, nil when there is none.
	Session() []byte
	// Commit stores the new session (nil drops it) and marks the update
	// handled; the chat stays held.
	Commit(ctx context.Context, session []byte, sessionTTL, keep time.Duration) error
	// Release lets go of the chat after a Commit;
	// Abort after a failure, unmarking the update so that its
	// redelivery is handled.
	Release(ctx context.Context) error
	Abort(ctx context.Context) error
}

// ErrInProgress is Handle's answer for an update another replica is
// handling right now: the channel must deliver it again later (it may yet
// fail there), so it is neither done nor a failure.
var ErrInProgress = errors.New("the update is being handled elsewhere")

// DispatcherConfig wires a Dispatcher. Every field but Logger and Clock is
// required.
type DispatcherConfig struct {
	Flows       map[string]*flows.Flow
	DefaultFlow string
	Leads       crm.LeadStore
	Gate        Gate
	Sender      Sender
	Clock       crm.Clock
	Logger      *slog.Logger
	// SessionTTL is how long an idle dialogue stays in Redis; after that it
	// is rebuilt from PostgreSQL on the customer's next message.
	SessionTTL time.Duration
	// Lease is how long a replica that dies mid-update keeps its chat and
	// its update from the others (15s); a live one renews it.
	Lease time.Duration
	// Qualified, when set, is told the temperature of every lead that
	// finishes its dialogue (for metrics).
	Qualified func(t crm.Temperature)
	// Engagement, when set, takes survey answers, follow-up reasons,
	// /stop and /forget.
	Engagement Engagement
	// BotUsername is the bot's @username, for the personal referral link
	// a promoter is sent (t.me/<bot>?start=r-<code>); "" sends the
	// referral text without a link.
	BotUsername string
	// Conversations, when set, takes what a customer writes to the team
	// (after the flow, /manager, a hand-off, photos and the like) and
	// relays it to the sales channels.
	Conversations Conversations
	// TimeZone is the team's, for "we'll answer after 09:00" (UTC when nil).
	TimeZone *time.Location
	// Campaigns, when set, takes presses of campaign buttons (cmp:).
	Campaigns CampaignClicks
	// Alerts queues a sales alert with the answer that qualifies a hot lead
	// (needs the job queue on the store's database).
	Alerts bool
	// Observe, when set, is told the kind, the outcome and the duration of
	// every update handled (for metrics).
	Observe func(kind, outcome string, d time.Duration)
}

// Dispatcher takes a customer's update through the flow engine and into the
// CRM: one update at a time per chat, each update once.
type Dispatcher struct {
	cfg DispatcherConfig
}

// NewDispatcher checks cfg and returns a Dispatcher.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Flows[cfg.DefaultFlow] == nil {
		return nil, fmt.Errorf("new dispatcher: default flow %q is not loaded", cfg.DefaultFlow)
	}
	if cfg.Leads == nil || cfg.Gate == nil || cfg.Sender == nil {
		return nil, errors.New("new dispatcher: leads, gate and sender are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = crm.ClockFunc(time.Now)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	return &Dispatcher{cfg: cfg}, nil
}

// DefaultLease is Gate's lease when the config names none. It only
// matters when a replica dies: its chats and updates wait this long.
const DefaultLease = 15 * time.Second

// updateKeep is how long a handled update id is remembered (Telegram gives
// up redelivering after about a day).
const updateKeep = 48 * time.Hour

// lateWithin is how long after a chat's last handled update an update
// with a lower id counts as one that arrived out of order. Telegram's ids
// grow by one per update, except that after a week without any update
// the next id may be random, possibly lower: a customer coming back after
// that must not have all their messages taken as late. Telegram stops
// redelivering an update after about a day, so a real late arrival comes
// well within this.
const lateWithin = updateKeep

// late reports that u is older than the last update handled in the chat:
// it was delivered out of order (a redelivery after a 5xx overtaken by
// the customer's next message, two webhook connections racing), and what
// it answers is no longer the question the dialogue waits on.
func (d *Dispatcher) late(u Update, s *session) bool {
	return u.ID != 0 && u.ID < s.Last && d.now().Sub(time.Unix(s.LastAt, 0)) < lateWithin
}

// A ReservingTurn also reserves rate-limit slots in its commit's round
// trip, in the same store and with the same semantics as the Sender's
// BatchLimiter (ReserveAll): the dispatcher uses it only when the Sender
// is a ReservingReplier, and the two must share the limiter's store, as
// cmd/voronka wires them (one Redis). If it fails, nothing was committed
// or reserved.
type ReservingTurn interface {
	Turn
	// CommitReserveRelease is Commit, the reply's reservation in the
	// buckets and the chat's release in one call, the dispatcher's commit
	// (see Handle for why the replies need no lock). Release then only
	// ends the turn.
	CommitReserveRelease(ctx context.Context, session []byte, sessionTTL, keep time.Duration, buckets []Bucket) ([][]time.Duration, error)
}

// Handle handles one update. It returns nil once the update's effects are
// durable (or the update was a duplicate), ErrInProgress while another
// replica has it in hand, and another error when the channel should
// deliver it again.
//
// The order is what the invariants need: the answer is in PostgreSQL,
// then the new session and the update's "done" mark are in Redis and the
// chat is released, then the replies go out. A replica that dies
// before the mark has its update handled again on redelivery (PostgreSQL's
// unique answer makes that harmless); one that dies after it never does,
// so no customer is told the same thing twice, at the price of replies a
// crash can lose (see storage/redis's gate).
//
// The chat's lock serialises the handling (the session's read, change and
// write), not the replies: the next update of a chat cannot overtake this
// one's replies, because Telegram delivers a chat's updates one at a time,
// each after the previous one was answered 200 (the long-poll runner, one
// at a time in order), and the channel answers 200 only after Handle has
// returned, replies sent. What may come meanwhile is this very update
// again (a redelivery, two connections racing), which the done mark turns
// away. So the commit releases the chat when it can (ReservingTurn), one
// Redis round trip fewer per update than a Release after the replies.
func (d *Dispatcher) Handle(ctx context.Context, u Update) error {
	return d.serve(ctx, u, d.handle)
}

// Gated returns h behind the dispatcher's gate, for the private-chat
// updates the channel's router gives to someone other than the customers'
// flow (a team member's team command, telegram.Router): they share the
// chat and the update ids with the customer's updates, so they are
// admitted as those are, each once across replicas and one at a time with
// the chat's other updates, and h runs in the chat's turn. The chat's
// session is put back as it was, and h replies itself: the update costs
// the Redis round trips of a customer's (enter, commit, release). Errors,
// ErrInProgress and Observe are as for Handle.
func (d *Dispatcher) Gated(h Handler) Handler {
	return HandlerFunc(func(ctx context.Context, u Update) error {
		return d.serve(ctx, u, func(ctx context.Context, u Update, _ []byte) (*session, error) {
			return nil, h.Handle(ctx, u)
		})
	})
}

// serve takes u through the gate and handle (which returns the session as
// the update leaves it and what to say, or nil to leave the stored session
// as it was and say nothing) in the order Handle describes.
func (d *Dispatcher) serve(ctx context.Context, u Update, handle func(ctx context.Context, u Update, raw []byte) (*session, error)) (err error) {
	start := time.Now()
	outcome := "ok"
	defer func() {
		if d.cfg.Observe != nil {
			if err != nil && outcome == "ok" {
				outcome = "error"
			}
			d.cfg.Observe(string(u.Kind), outcome, time.Since(start))
		}
	}()
	if !u.Private || u.ChatID == 0 {
		// Customers talk to the bot in private chats; groups are for the
		// sales team and are handled by the sales adapters.
		outcome = "ignored"
		return nil
	}
	t, err := d.cfg.Gate.Enter(ctx, u.ID, u.ChatID, d.cfg.Lease)
	if err != nil {
		return fmt.Errorf("handle update %d: %w", u.ID, err)
	}
	switch {
	case t.Duplicate():
		outcome = "duplicate"
		return nil
	case t.InProgress():
		outcome = "in_progress"
		return fmt.Errorf("handle update %d: %w", u.ID, ErrInProgress)
	}
	s, err := handle(ctx, u, t.Session())
	if err != nil {
		if aerr := t.Abort(ctx); aerr != nil {
			d.cfg.Logger.WarnContext(ctx, "unmark failed update", "update_id", u.ID, "err", aerr)
		}
		return fmt.Errorf("handle update %d: %w", u.ID, err)
	}
	if s != nil && u.ID > s.Last {
		s.Last, s.LastAt = u.ID, d.now().Unix()
	}
	raw := t.Session() // a gated handler leaves the session as it was
	if s != nil {
		var eerr error
		if raw, eerr = s.encode(); eerr != nil {
			// Dropped instead: the next update rebuilds it.
			d.cfg.Logger.ErrorContext(ctx, "encode session", "chat_id", u.ChatID, "err", eerr)
		}
	}
	// The reply is settled before the commit, so that its rate-limit slots
	// are reserved in the commit's round trip when the gate and the sender
	// can (one Redis round trip fewer per update).
	var (
		reply   Reply
		buckets []Bucket
		rr, _   = d.cfg.Sender.(ReservingReplier)
		rt, _   = t.(ReservingTurn)
		waits   [][]time.Duration
		cerr    error
		deliver = s != nil && !s.quiet
	)
	if deliver {
		reply = d.reply(u, s)
		if rr != nil && rt != nil {
			reply, buckets = rr.PlanReply(ctx, reply)
		}
	}
	switch {
	case len(buckets) > 0:
		// The commit lets go of the chat (one round trip fewer than a
		// Release after the calls): the replies' order needs no lock, as
		// Handle says.
		waits, cerr = rt.CommitReserveRelease(ctx, raw, d.cfg.SessionTTL, updateKeep, buckets)
	default:
		cerr = t.Commit(ctx, raw, d.cfg.SessionTTL, updateKeep)
	}
	if cerr != nil {
		// The effects are durable in PostgreSQL; without the session the
		// next update rebuilds it from there, and a redelivered answer is
		// turned away by its unique row. Saying nothing now would lose the
		// reply for nothing.
		d.cfg.Logger.WarnContext(ctx, "commit update", "update_id", u.ID, "err", cerr)
	}
	switch {
	case !deliver:
	case len(buckets) > 0:
		// With nil waits (the commit failed) the sender reserves itself.
		if _, err := rr.ReplyReserved(ctx, reply, waits); err != nil {
			d.cfg.Logger.ErrorContext(ctx, "send reply", "chat_id", u.ChatID, "err", err)
		}
	default:
		d.deliver(ctx, u, reply)
	}
	if err := t.Release(ctx); err != nil {
		d.cfg.Logger.WarnContext(ctx, "release chat", "chat_id", u.ChatID, "err", err)
	}
	return nil
}

// session is what Redis keeps per chat, and, in its unexported fields,
// what the update being handled does with it: handlers change the session
// and say what to reply, and Handle stores the one and sends the other in
// the order the invariants need. The unexported fields are never stored.
type session struct {
	ContactID int64       `json:"contact"`
	LeadID    int64       `json:"lead,omitempty"`
	Stage     crm.Stage   `json:"stage,omitempty"`
	State     flows.State `json:"state"`
	// Last is the highest update id handled in the chat, and LastAt when
	// (Unix seconds): an update older than it arrived out of order (see
	// late). Rebuilt from the answers' update ids when Redis lost it.
	Last   int64 `json:"last,omitempty"`
	LastAt int64 `json:"last_at,omitempty"`
	// Cancelled: the customer left the lead's dialogue with /cancel, so
	// what they write next begins a new one rather than a conversation.
	Cancelled bool `json:"cancelled,omitempty"`

	notice  string         // the answer to a pressed button
	prompts []flows.Prompt // the messages to send
	quiet   bool           // say nothing: the update was handled before
	forget  bool           // drop the session (/forget)
}

// say sets the reply: notice answers the pressed button, prompts are the
// messages. A handler says one thing per update; the last say wins.
func (s *session) say(notice string, prompts []flows.Prompt) error {
	s.notice, s.prompts = notice, prompts
	return nil
}

// encode is the session as stored; nil when it is to be dropped.
func (s *session) encode() ([]byte, error) {
	if s.forget {
		return nil, nil
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	return raw, nil
}

// open reports whether the chat is in the middle of a dialogue.
func (s *session) open() bool { return s != nil && s.LeadID != 0 && s.Stage.Open() && !s.State.Done }

// loadSession reads the session the gate took out of Redis, or rebuilds
// it from PostgreSQL. applied reports that the rebuilt dialogue already
// holds this very update's answer: a replica stored it and died before
// Redis (whose session it had taken), so its replies never went out.
func (d *Dispatcher) loadSession(ctx context.Context, u Update, raw []byte) (s *session, applied bool, err error) {
	if raw != nil {
		var stored session
		err := json.Unmarshal(raw, &stored)
		switch {
		case err != nil || stored.ContactID == 0:
			d.cfg.Logger.WarnContext(ctx, "unreadable session, rebuilding", "chat_id", u.ChatID)
		case stored.open() && !d.flowOf(stored.State.Flow).Fits(stored.State):
			// The flow was edited (a new version) under this dialogue:
			// replay the stored answers on the flow as it is now.
			d.cfg.Logger.InfoContext(ctx, "flow changed, rebuilding session", "chat_id", u.ChatID, "flow", stored.State.Flow)
		default:
			return &stored, false, nil
		}
	}
	s, answers, err := d.rebuildWith(ctx, u)
	if err != nil {
		return nil, false, err
	}
	applied = u.ID != 0 && slices.ContainsFunc(answers, func(a crm.Answer) bool { return a.UpdateID == u.ID })
	return s, applied, nil
}

// rebuildWith recreates a chat's session from PostgreSQL: the contact, its
// latest lead, and the flow position replayed from the stored answers.
// It also returns the latest lead's current answers.
func (d *Dispatcher) rebuildWith(ctx context.Context, u Update) (*session, []crm.Answer, error) {
	c := d.contactOf(u)
	lead, answers, err := d.cfg.Leads.Resume(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	s := &session{ContactID: c.ID}
	if lead == nil {
		return s, nil, nil
	}
	if c.ErasedAt != nil && !c.ErasedAt.Before(lead.CreatedAt) {
		// The customer said /forget after this lead began: its answers are
		// erased, so it is not theirs to resume or to be told about ("your
		// answers are with us"). The next /start or message begins anew.
		return s, nil, nil
	}
	s.LeadID, s.Stage = lead.ID, lead.Stage
	for _, a := range answers {
		if a.UpdateID > s.Last {
			s.Last, s.LastAt = a.UpdateID, a.At.Unix()
		}
	}
	s.Cancelled = lead.Stage == crm.StageLost && lead.LostReason == "cancelled"
	if !lead.Stage.Open() {
		s.State = flows.State{Flow: lead.FlowID, Version: lead.FlowVersion, Done: true, Variants: lead.Variants}
		return s, answers, nil
	}
	flow := d.flowOf(lead.FlowID)
	state, err := flows.ReplayWith(flow, flow.Lang(u.User.Language), lead.Variants, answers)
	if err != nil {
		// The flow changed under a dialogue in progress. Its answers stay
		// in PostgreSQL; the dialogue starts over on the current flow.
		d.cfg.Logger.WarnContext(ctx, "replay failed, restarting dialogue", "lead_id", lead.ID, "err", err)
		if err := d.cfg.Leads.RestartLead(ctx, lead.ID, flow.Start, d.now()); err != nil {
			return nil, nil, err
		}
		state = flows.BeginWith(flow, flow.Lang(u.User.Language), "", lead.Variants).State
		s.Stage = crm.StageNew
		answers = nil
	}
	s.State = state
	return s, answers, nil
}

func (d *Dispatcher) contactOf(u Update) *crm.Contact {
	return &crm.Contact{
		TelegramUserID: u.User.ID,
		ChatID:         u.ChatID,
		FirstName:      u.User.FirstName,
		LastName:       u.User.LastName,
		Username:       u.User.Username,
		Language:       u.User.Language,
	}
}

// flowOf returns the flow with id, or the default flow when it is gone.
func (d *Dispatcher) flowOf(id string) *flows.Flow {
	if f := d.cfg.Flows[id]; f != nil {
		return f
	}
	return d.cfg.Flows[d.cfg.DefaultFlow]
}

func (d *Dispatcher) now() time.Time { return d.cfg.Clock.Now() }
