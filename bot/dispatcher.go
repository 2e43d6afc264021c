package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Sessions keeps the live dialogue state of each chat (Redis in
// production). The state is a cache: PostgreSQL holds every answer, and a
// missing session is rebuilt from it.
type Sessions interface {
	LoadSession(ctx context.Context, chatID int64) ([]byte, error)
	SaveSession(ctx context.Context, chatID int64, state []byte, ttl time.Duration) error
	DeleteSession(ctx context.Context, chatID int64) error
}

// Deliveries remembers which updates were handled, across replicas.
type Deliveries interface {
	BeginUpdate(ctx context.Context, id int64, working time.Duration) (bool, error)
	FinishUpdate(ctx context.Context, id int64, keep time.Duration) error
	AbortUpdate(ctx context.Context, id int64) error
}

// Locker serialises the updates of one chat across replicas.
type Locker interface {
	Lock(ctx context.Context, name string, ttl time.Duration) (func(), error)
}

// StaffCommands answers the sales team's commands in the bot's private
// chat (stats for managers). handled is false when the sender is not on the
// team or the command is not one of theirs.
type StaffCommands interface {
	HandleStaff(ctx context.Context, u Update) (handled bool, err error)
}

// DispatcherConfig wires a Dispatcher. Every field but Logger and Clock is
// required.
type DispatcherConfig struct {
	Flows       map[string]*flows.Flow
	DefaultFlow string
	Leads       crm.LeadStore
	Sessions    Sessions
	Deliveries  Deliveries
	Locker      Locker
	Sender      Sender
	Clock       crm.Clock
	Logger      *slog.Logger
	// SessionTTL is how long an idle dialogue stays in Redis; after that it
	// is rebuilt from PostgreSQL on the customer's next message.
	SessionTTL time.Duration
	// Staff, when set, is offered every command first: a configured
	// manager's /stats and the like are answered there and never reach the
	// customers' flow. It returns false for anyone else.
	Staff StaffCommands
	// Qualified, when set, is told the temperature of every lead that
	// finishes its dialogue (for metrics).
	Qualified func(t crm.Temperature)
	// Engagement, when set, takes survey answers, follow-up reasons,
	// /stop and /forget.
	Engagement Engagement
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
	if cfg.Leads == nil || cfg.Sessions == nil || cfg.Deliveries == nil || cfg.Locker == nil || cfg.Sender == nil {
		return nil, errors.New("new dispatcher: leads, sessions, deliveries, locker and sender are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = crm.ClockFunc(time.Now)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	return &Dispatcher{cfg: cfg}, nil
}

// How long an update may be "in hand" before another replica may take a
// redelivery of it, and how long a handled update id is remembered.
const (
	updateWorking = time.Minute
	updateKeep    = 48 * time.Hour
	chatLockTTL   = 30 * time.Second
)

// Handle handles one update. It returns nil once the update's effects are
// durable (or the update was a duplicate), and an error when the channel
// should deliver it again.
func (d *Dispatcher) Handle(ctx context.Context, u Update) (err error) {
	start := time.Now()
	outcome := "ok"
	defer func() {
		if d.cfg.Observe != nil {
			if err != nil {
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
	if u.ID != 0 {
		first, err := d.cfg.Deliveries.BeginUpdate(ctx, u.ID, updateWorking)
		if err != nil {
			return fmt.Errorf("handle update %d: %w", u.ID, err)
		}
		if !first {
			outcome = "duplicate"
			return nil
		}
	}
	unlock, err := d.cfg.Locker.Lock(ctx, "chat:"+strconv.FormatInt(u.ChatID, 10), chatLockTTL)
	if err != nil {
		d.abort(ctx, u)
		return fmt.Errorf("handle update %d: %w", u.ID, err)
	}
	err = d.handle(ctx, u)
	unlock()
	if err != nil {
		d.abort(ctx, u)
		return fmt.Errorf("handle update %d: %w", u.ID, err)
	}
	if u.ID != 0 {
		if err := d.cfg.Deliveries.FinishUpdate(ctx, u.ID, updateKeep); err != nil {
			// The effects are durable; the worst case is a redelivery that
			// the answers' unique index turns away.
			d.cfg.Logger.WarnContext(ctx, "mark update handled", "update_id", u.ID, "err", err)
		}
	}
	return nil
}

func (d *Dispatcher) abort(ctx context.Context, u Update) {
	if u.ID == 0 {
		return
	}
	if err := d.cfg.Deliveries.AbortUpdate(context.WithoutCancel(ctx), u.ID); err != nil {
		d.cfg.Logger.WarnContext(ctx, "unmark failed update", "update_id", u.ID, "err", err)
	}
}

// session is what Redis keeps per chat.
type session struct {
	ContactID int64       `json:"contact"`
	LeadID    int64       `json:"lead,omitempty"`
	Stage     crm.Stage   `json:"stage,omitempty"`
	State     flows.State `json:"state"`
}

// open reports whether the chat is in the middle of a dialogue.
func (s *session) open() bool { return s != nil && s.LeadID != 0 && s.Stage.Open() && !s.State.Done }

func (d *Dispatcher) loadSession(ctx context.Context, u Update) (*session, error) {
	raw, err := d.cfg.Sessions.LoadSession(ctx, u.ChatID)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		var s session
		err := json.Unmarshal(raw, &s)
		switch {
		case err != nil || s.ContactID == 0:
			d.cfg.Logger.WarnContext(ctx, "unreadable session, rebuilding", "chat_id", u.ChatID)
		case s.open() && !d.flowOf(s.State.Flow).Fits(s.State):
			// The flow was edited (a new version) under this dialogue:
			// replay the stored answers on the flow as it is now.
			d.cfg.Logger.InfoContext(ctx, "flow changed, rebuilding session", "chat_id", u.ChatID, "flow", s.State.Flow)
		default:
			return &s, nil
		}
	}
	return d.rebuild(ctx, u)
}

// rebuild recreates a chat's session from PostgreSQL: the contact, its
// latest lead, and the flow position replayed from the stored answers.
func (d *Dispatcher) rebuild(ctx context.Context, u Update) (*session, error) {
	c := d.contactOf(u)
	if err := d.cfg.Leads.UpsertContact(ctx, c); err != nil {
		return nil, err
	}
	s := &session{ContactID: c.ID}
	lead, err := d.cfg.Leads.LatestLead(ctx, c.ID)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	s.LeadID, s.Stage = lead.ID, lead.Stage
	if !lead.Stage.Open() {
		s.State = flows.State{Flow: lead.FlowID, Version: lead.FlowVersion, Done: true}
		return s, nil
	}
	flow := d.flowOf(lead.FlowID)
	answers, err := d.cfg.Leads.Answers(ctx, lead.ID)
	if err != nil {
		return nil, err
	}
	state, err := flows.Replay(flow, flow.Lang(u.User.Language), answers)
	if err != nil {
		// The flow changed under a dialogue in progress. Its answers stay
		// in PostgreSQL; the dialogue starts over on the current flow.
		d.cfg.Logger.WarnContext(ctx, "replay failed, restarting dialogue", "lead_id", lead.ID, "err", err)
		if err := d.cfg.Leads.RestartLead(ctx, lead.ID, flow.Start, d.now()); err != nil {
			return nil, err
		}
		state = flows.Begin(flow, flow.Lang(u.User.Language), "").State
		s.Stage = crm.StageNew
	}
	s.State = state
	return s, nil
}

func (d *Dispatcher) saveSession(ctx context.Context, chatID int64, s *session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	return d.cfg.Sessions.SaveSession(ctx, chatID, raw, d.cfg.SessionTTL)
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
