package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
	"github.com/voronka/voronka/flows"
)

// gate is an in-memory bot.Gate with the contract of storage/redis's:
// each update id once (a handled one is a duplicate, one in hand is in
// progress), the chat's session taken out on Enter and put back on
// Commit, the mark taken back on Abort.
type gate struct {
	mu       sync.Mutex
	done     map[int64]bool
	inHand   map[int64]bool
	sessions map[int64][]byte
	aborted  int
}

func newGate() *gate {
	return &gate{done: map[int64]bool{}, inHand: map[int64]bool{}, sessions: map[int64][]byte{}}
}

func (g *gate) Enter(_ context.Context, updateID, chatID int64, _ time.Duration) (bot.Turn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := &turn{g: g, update: updateID, chat: chatID}
	switch {
	case updateID != 0 && g.done[updateID]:
		t.duplicate = true
	case updateID != 0 && g.inHand[updateID]:
		t.inProgress = true
	default:
		if updateID != 0 {
			g.inHand[updateID] = true
		}
		t.session = g.sessions[chatID]
		delete(g.sessions, chatID)
	}
	return t, nil
}

// flush forgets every session, as a Redis flush or an expiry does.
func (g *gate) flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions = map[int64][]byte{}
}

type turn struct {
	g                     *gate
	update, chat          int64
	duplicate, inProgress bool
	session               []byte
}

func (t *turn) Duplicate() bool  { return t.duplicate }
func (t *turn) InProgress() bool { return t.inProgress }
func (t *turn) Session() []byte  { return t.session }

func (t *turn) Commit(_ context.Context, session []byte, _, _ time.Duration) error {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	if session != nil {
		t.g.sessions[t.chat] = session
	}
	delete(t.g.inHand, t.update)
	t.g.done[t.update] = true
	return nil
}

func (t *turn) Release(context.Context) error { return nil }

func (t *turn) Abort(context.Context) error {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	delete(t.g.inHand, t.update)
	t.g.aborted++
	return nil
}

// sender records what the bot says.
type sender struct {
	mu        sync.Mutex
	messages  []bot.Message
	callbacks []bot.CallbackAnswer
}

func (s *sender) Send(_ context.Context, m bot.Message) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	return len(s.messages), nil
}

func (s *sender) AnswerCallback(_ context.Context, a bot.CallbackAnswer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbacks = append(s.callbacks, a)
	return nil
}

// said returns the texts sent since the last call.
func (s *sender) said() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.messages {
		out = append(out, m.Text)
	}
	s.messages = nil
	return out
}

// team is a team-command handler: it records the commands it answers
// and fails with err.
type staff struct {
	asked []string
	err   error
}

func (s *staff) Handle(_ context.Context, u bot.Update) error {
	s.asked = append(s.asked, u.Command)
	return s.err
}

const miniFlow = `
id: mini
version: 1
languages: [en, ru]
thresholds: {hot: 20, warm: 10}
expect: {hot: 15m, warm: 4h, cold: 2d}
start: need
steps:
  - id: need
    kind: choice
    ask: {en: "What do you need?", ru: "Что нужно?"}
    options:
      - {id: buy, text: {en: Buy, ru: Купить}, score: 20}
      - {id: look, text: {en: Looking, ru: Смотрю}, score: 0}
    next: email
  - id: email
    kind: email
    ask: {en: "Your email?", ru: "Ваш email?"}
    next: done
  - id: done
    kind: end
    say: {en: "Thanks, {name}! We'll reply {expect}.", ru: "Спасибо, {name}! Ответим {expect}."}
`

type dispatcherEnv struct {
	d         *bot.Dispatcher
	leads     *crmtest.LeadStore
	gate      *gate
	sender    *sender
	staff     *staff
	flow      *flows.Flow
	qualified []crm.Temperature
	nextID    int64
}

func setupDispatcher(t *testing.T) *dispatcherEnv {
	t.Helper()
	f, err := flows.Parse("mini.yaml", []byte(miniFlow))
	require.NoError(t, err)
	e := &dispatcherEnv{leads: crmtest.NewLeadStore(), gate: newGate(), sender: &sender{}, staff: &staff{}, flow: f, nextID: 100}
	e.d, err = bot.NewDispatcher(bot.DispatcherConfig{
		Flows:       map[string]*flows.Flow{"mini": f},
		DefaultFlow: "mini",
		Leads:       e.leads,
		Gate:        e.gate,
		Sender:      e.sender,
		Clock:       crmtest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		Alerts:      true,
		Qualified:   func(t crm.Temperature) { e.qualified = append(e.qualified, t) },
	})
	require.NoError(t, err)
	return e
}

// update is a private-chat update from customer 42 with a fresh id.
func (e *dispatcherEnv) update(kind bot.InputKind) bot.Update {
	e.nextID++
	return bot.Update{ID: e.nextID, ChatID: 42, Private: true, Kind: kind, User: bot.User{ID: 42, FirstName: "Ivan", Language: "en"}}
}

func (e *dispatcherEnv) command(cmd, payload string) bot.Update {
	u := e.update(bot.InputCommand)
	u.Command, u.Text = cmd, payload
	return u
}

func (e *dispatcherEnv) text(s string) bot.Update {
	u := e.update(bot.InputText)
	u.Text = s
	return u
}

func (e *dispatcherEnv) button(data string) bot.Update {
	u := e.update(bot.InputButton)
	u.Button, u.CallbackID = data, "cb"
	return u
}

func (e *dispatcherEnv) handle(t *testing.T, u bot.Update) []string {
	t.Helper()
	require.NoError(t, e.d.Handle(context.Background(), u))
	return e.sender.said()
}

// theLead is the customer's only lead.
func (e *dispatcherEnv) theLead(t *testing.T) crm.Lead {
	t.Helper()
	c := &crm.Contact{TelegramUserID: 42}
	require.NoError(t, e.leads.UpsertContact(context.Background(), c))
	leads := e.leads.Leads(c.ID)
	require.Len(t, leads, 1)
	return leads[0]
}

func TestDispatcherStartWithPayload(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	said := e.handle(t, e.command("start", "s-google__c-black_friday"))
	require.Len(t, said, 1)
	assert.Contains(t, said[0], "What do you need?", "the first question, in the customer's language")
	l := e.theLead(t)
	assert.Equal(t, crm.Attribution{Source: "google", Campaign: "black_friday", Payload: "s-google__c-black_friday"}, l.Attribution)
	assert.Equal(t, crm.StageNew, l.Stage)
	assert.Equal(t, "need", l.Step)

	// A second link mid-dialogue is a touch; the first touch stays.
	said = e.handle(t, e.command("start", "s-vk"))
	assert.Contains(t, strings.Join(said, "\n"), "What do you need?", "the question waiting is asked again")
	assert.Equal(t, "google", e.theLead(t).Attribution.Source)
	events, err := e.leads.Events(context.Background(), l.ID)
	require.NoError(t, err)
	assert.Equal(t, crm.EventTouch, events[len(events)-1].Kind)
	assert.Equal(t, "vk", events[len(events)-1].Data["source"])
}

func TestDispatcherAnswersAdvanceAndAreSaved(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))

	u := e.button("need:buy")
	u.ButtonMessageID = 7
	said := e.handle(t, u)
	assert.Equal(t, []string{"What do you need?\n\n✅ Buy", "Your email?"}, said, "the question shows the choice, then the next one is asked")
	saved := e.leads.Saved()
	require.Len(t, saved, 1)
	assert.Equal(t, crm.Answer{LeadID: saved[0].LeadID, StepID: "need", Kind: "choice", Value: "buy", Score: 20, UpdateID: u.ID,
		At: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}, *saved[0].Answer)
	assert.Equal(t, crm.StageQualifying, saved[0].Stage)
	assert.Equal(t, "email", saved[0].Step)
	assert.Empty(t, saved[0].Jobs)
	require.Len(t, e.sender.callbacks, 1, "the pressed button's spinner is stopped")

	said = e.handle(t, e.text("Ivan@Example.com"))
	require.Len(t, said, 1)
	assert.Contains(t, said[0], "Thanks, Ivan!")
	saved = e.leads.Saved()
	require.Len(t, saved, 2)
	last := saved[1]
	assert.Equal(t, "Ivan@example.com", last.Email, "the contact's email, domain lowercased")
	assert.Equal(t, crm.StageQualified, last.Stage)
	assert.Equal(t, crm.Hot, last.Temperature)
	assert.Equal(t, []crm.Job{{Kind: crm.JobSalesAlert, LeadID: last.LeadID}}, last.Jobs, "a hot lead's alert rides with its last answer")
	assert.Equal(t, []crm.Temperature{crm.Hot}, e.qualified)

	// After the dialogue, free text is kept on the timeline, not answered as a step.
	said = e.handle(t, e.text("call me after lunch"))
	assert.Equal(t, []string{e.flow.T("already_done", "en")}, said)
	assert.Len(t, e.leads.Saved(), 2)
}

func TestDispatcherInvalidAnswerIsAskedAgain(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	e.handle(t, e.button("need:look"))
	require.Len(t, e.leads.Saved(), 1)

	said := e.handle(t, e.text("not an email"))
	require.Len(t, said, 1)
	assert.True(t, strings.HasPrefix(said[0], e.flow.T("invalid_email", "en")), "the hint first: %q", said[0])
	assert.True(t, strings.HasSuffix(said[0], "Your email?"), "then the question again: %q", said[0])
	assert.Len(t, e.leads.Saved(), 1, "an invalid answer stores nothing")
	assert.Equal(t, "email", e.theLead(t).Step)

	said = e.handle(t, e.text("ivan@example.com"))
	assert.Contains(t, strings.Join(said, "\n"), "Thanks, Ivan!", "the session still waits on the email")
	saved := e.leads.Saved()
	require.Len(t, saved, 2)
	assert.Equal(t, crm.Cold, saved[1].Temperature)
	assert.Empty(t, saved[1].Jobs, "no alert for a cold lead")
}

func TestDispatcherDuplicateUpdates(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	u := e.button("need:buy")
	e.handle(t, u)
	require.Len(t, e.leads.Saved(), 1)

	assert.Empty(t, e.handle(t, u), "a redelivered update says nothing")
	assert.Len(t, e.leads.Saved(), 1, "and stores nothing")

	// Another replica has this one in hand: the channel must deliver it again.
	busy := e.text("ivan@example.com")
	e.gate.inHand[busy.ID] = true
	err := e.d.Handle(context.Background(), busy)
	require.ErrorIs(t, err, bot.ErrInProgress)
	assert.Len(t, e.leads.Saved(), 1)
	assert.Empty(t, e.sender.said())
}

func TestDispatcherLostSessionIsRebuilt(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	u := e.button("need:buy")
	e.handle(t, u)
	e.gate.flush()
	said := e.handle(t, e.text("ivan@example.com"))
	assert.Contains(t, strings.Join(said, "\n"), "Thanks, Ivan!", "the dialogue goes on from the stored answers")
	assert.Len(t, e.leads.Saved(), 2)

	// The answer's update arrives again after Redis forgot it was done and
	// the session: the stored answer holds its update id, so nothing is
	// stored twice.
	e.gate.flush()
	delete(e.gate.done, u.ID)
	e.handle(t, u)
	assert.Len(t, e.leads.Saved(), 2)
}

func TestDispatcherFailedSaveUnmarksTheUpdate(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	down := true
	e.leads.SaveProgressErr = func(crm.Progress) error {
		if down {
			return errors.New("connection refused")
		}
		return nil
	}
	u := e.button("need:buy")
	require.Error(t, e.d.Handle(context.Background(), u))
	assert.Empty(t, e.sender.said(), "nothing is said before the answer is stored")
	assert.Equal(t, 1, e.gate.aborted)

	down = false
	assert.Equal(t, []string{"Your email?"}, e.handle(t, u), "the redelivery is handled")
	assert.Len(t, e.leads.Saved(), 1)
}

func TestDispatcherCommands(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	e.handle(t, e.button("need:buy"))
	l := e.theLead(t)

	said := e.handle(t, e.command("help", ""))
	require.Len(t, said, 2)
	assert.Equal(t, e.flow.T("help", "en"), said[0])
	assert.Equal(t, "Your email?", said[1], "help, then the question waiting")

	said = e.handle(t, e.command("restart", ""))
	assert.Contains(t, strings.Join(said, "\n"), "What do you need?")
	assert.Len(t, e.leads.Superseded(l.ID), 1, "restart supersedes the answers, never deletes them")
	assert.Equal(t, "need", e.theLead(t).Step)
	e.handle(t, e.button("need:look"))
	assert.Len(t, e.leads.Saved(), 2, "the restarted step is answered afresh")

	said = e.handle(t, e.command("cancel", ""))
	assert.Equal(t, []string{e.flow.T("cancelled", "en")}, said)
	got := e.theLead(t)
	assert.Equal(t, crm.StageLost, got.Stage)
	assert.Equal(t, "cancelled", got.LostReason)

	// After /cancel a new message starts a new lead.
	said = e.handle(t, e.text("hello again"))
	assert.Contains(t, strings.Join(said, "\n"), "What do you need?")
	c := &crm.Contact{TelegramUserID: 42}
	require.NoError(t, e.leads.UpsertContact(context.Background(), c))
	assert.Len(t, e.leads.Leads(c.ID), 2)
	assert.Empty(t, e.staff.asked, "the dispatcher offers no command to the staff: the router decides")
}

func TestDispatcherStartWhenTheRequestIsWithTheTeam(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	e.handle(t, e.command("start", ""))
	e.handle(t, e.button("need:buy"))
	e.handle(t, e.text("ivan@example.com"))
	said := e.handle(t, e.command("start", "s-vk"))
	assert.Equal(t, []string{e.flow.T("already_done", "en")}, said, "no second lead while the team has the first")
	e.theLead(t)
}

// TestDispatcherGatedTeamCommands: a team member's command, which the
// router gives to the team behind the dispatcher's gate, is handled once
// per update id, in the chat's turn, and leaves the chat's dialogue as it
// was (a manager may be a customer too); a failure is unmarked for
// redelivery.
func TestDispatcherGatedTeamCommands(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	staff := e.d.Gated(e.staff)
	e.handle(t, e.command("start", ""))
	e.handle(t, e.button("need:buy"))

	u := e.command("stats", "7d")
	require.NoError(t, staff.Handle(context.Background(), u))
	require.NoError(t, staff.Handle(context.Background(), u), "a redelivery")
	assert.Equal(t, []string{"stats"}, e.staff.asked, "once per update")
	assert.Empty(t, e.sender.said(), "the staff handler answers, not the dispatcher")
	assert.True(t, e.gate.done[u.ID])
	assert.Equal(t, []string{"Thanks, Ivan! We'll reply within 15 minutes."}, e.handle(t, e.text("ivan@example.com")),
		"the dialogue goes on where it was")
	e.theLead(t) // the command opened no lead
	assert.Len(t, e.leads.Saved(), 2, "both answers of the dialogue, nothing of the command")

	e.staff.err = errors.New("telegram is down")
	failing := e.command("stats", "")
	require.Error(t, staff.Handle(context.Background(), failing))
	assert.False(t, e.gate.done[failing.ID])
	assert.Equal(t, 1, e.gate.aborted)
	e.staff.err = nil
	require.NoError(t, staff.Handle(context.Background(), failing), "the redelivery is handled")
	assert.Equal(t, []string{"stats", "stats", "stats"}, e.staff.asked)

	// A customer's /stats reaches the dispatcher (the router sends only a
	// team member's to the team): it gets the help.
	said := e.handle(t, e.command("stats", ""))
	require.NotEmpty(t, said)
	assert.Equal(t, e.flow.T("help", "en"), said[0])
}

func TestDispatcherIgnoresGroups(t *testing.T) {
	t.Parallel()
	e := setupDispatcher(t)
	u := e.text("hello")
	u.Private = false
	require.NoError(t, e.d.Handle(context.Background(), u))
	assert.Empty(t, e.sender.said())
	assert.Empty(t, e.gate.done, "not even entered")
}

// TestDispatcherExperimentVariantIsSticky: a new lead gets the
// customer's arm of the flow's experiment (a hash of the contact and the
// experiment), stored on the lead; the question is asked in that arm, and
// it stays when Redis loses the session and after /restart.
func TestDispatcherExperimentVariantIsSticky(t *testing.T) {
	t.Parallel()
	f, err := flows.Parse("mini.yaml", []byte(miniFlow+`experiments:
  - id: need_order
    step: need
    variants:
      - {id: a, weight: 1}
      - {id: b, weight: 1000000, ask: {en: "What brings you here?", ru: "Что привело?"}, options: [look, buy]}
`))
	require.NoError(t, err)
	e := setupDispatcher(t)
	e.d, err = bot.NewDispatcher(bot.DispatcherConfig{Flows: map[string]*flows.Flow{"mini": f}, DefaultFlow: "mini",
		Leads: e.leads, Gate: e.gate, Sender: e.sender, Clock: crmtest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))})
	require.NoError(t, err)

	said := e.handle(t, e.command("start", ""))
	l := e.theLead(t)
	require.Equal(t, f.Assign(l.ContactID), l.Variants, "the arm is the hash's, stored with the lead")
	require.Equal(t, map[string]string{"need_order": "b"}, l.Variants)
	assert.Contains(t, said[0], "What brings you here?")

	// The session is lost: rebuilt in the lead's arm, "1" is still the
	// first option this customer was shown.
	e.gate.flush()
	e.handle(t, e.text("1"))
	saved := e.leads.Saved()
	require.Len(t, saved, 1)
	assert.Equal(t, "look", saved[0].Answer.Value)

	said = e.handle(t, e.command("restart", ""))
	assert.Contains(t, strings.Join(said, "\n"), "What brings you here?", "a restart keeps the arm")
	e.gate.flush()
	said = e.handle(t, e.command("start", ""))
	assert.Contains(t, strings.Join(said, "\n"), "What brings you here?")
	assert.Equal(t, l.Variants, e.theLead(t).Variants)
}
