package postgrestest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/crm"
)

// RunLeadStoreTests checks that a crm.LeadStore does what the interface's
// doc comments promise, through the interface alone, so every
// implementation (this package's PostgreSQL one, a future in-memory one for
// crm's tests) runs the same suite (Mattermost's storetest). newStore must
// return an empty store that no other test uses; every subtest calls it and
// runs in parallel.
func RunLeadStoreTests(t *testing.T, newStore func(t *testing.T) crm.LeadStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"UpsertContactInsertsAndUpdates", testUpsertContact},
		{"UpsertContactKeepsLearnedFields", testUpsertContactKeeps},
		{"UpsertContactInvalid", testUpsertContactInvalid},
		{"ContactNotFound", testContactNotFound},
		{"CreateLead", testCreateLead},
		{"CreateLeadDefaults", testCreateLeadDefaults},
		{"CreateLeadUnknownContact", testCreateLeadUnknownContact},
		{"LeadNotFound", testLeadNotFound},
		{"LatestLead", testLatestLead},
		{"Resume", testResume},
		{"SaveProgress", testSaveProgress},
		{"SaveProgressQualifies", testSaveProgressQualifies},
		{"SaveProgressWithoutAnswer", testSaveProgressWithoutAnswer},
		{"SaveProgressDuplicateAnswer", testSaveProgressDuplicate},
		{"SaveProgressConcurrentDuplicates", testSaveProgressConcurrent},
		{"SaveProgressUnknownLead", testSaveProgressUnknownLead},
		{"SaveProgressInvalid", testSaveProgressInvalid},
		{"SaveProgressUnstorableText", testSaveProgressUnstorable},
		{"RestartLead", testRestartLead},
		{"RestartLeadNotFound", testRestartLeadNotFound},
		{"CloseLead", testCloseLead},
		{"CloseLeadNotOpen", testCloseLeadNotOpen},
		{"CloseLeadNotFound", testCloseLeadNotFound},
		{"AddEventAndEvents", testEvents},
		{"AddEventInvalid", testAddEventInvalid},
		{"AnswersAndEventsNotFound", testListNotFound},
		{"TextInManyScripts", testManyScripts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, &bundle{ctx: t.Context(), store: newStore(t), now: startTime()})
		})
	}
}

// startTime is the fake clock's first reading: whole seconds, so that any
// store keeping microseconds (PostgreSQL) or less returns it unchanged.
func startTime() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }

type bundle struct {
	ctx   context.Context
	store crm.LeadStore
	now   time.Time
}

// tick advances the fake clock by a minute and returns the new time.
func (b *bundle) tick() time.Time {
	b.now = b.now.Add(time.Minute)
	return b.now
}

func (b *bundle) contact(t *testing.T, telegramID int64) *crm.Contact {
	t.Helper()
	c := &crm.Contact{TelegramUserID: telegramID, ChatID: telegramID, FirstName: "Анна",
		Username: "anna", Language: "ru", CreatedAt: b.tick()}
	require.NoError(t, b.store.UpsertContact(b.ctx, c))
	return c
}

func (b *bundle) lead(t *testing.T, contactID int64) *crm.Lead {
	t.Helper()
	l := &crm.Lead{ContactID: contactID, Stage: crm.StageQualifying, Temperature: crm.Cold,
		FlowID: "qualify", FlowVersion: 3, Step: "need",
		Attribution: crm.Attribution{Source: "google", Medium: "cpc", Campaign: "spring",
			Landing: "pricing", Referrer: "partner", Payload: "s-google__m-cpc__c-spring__l-pricing__r-partner"},
		CreatedAt: b.tick()}
	require.NoError(t, b.store.CreateLead(b.ctx, l))
	return l
}

// answer is the Progress of answering step with value worth score points.
func (b *bundle) answer(l *crm.Lead, step, value string, score int, next string) crm.Progress {
	at := b.tick()
	return crm.Progress{
		LeadID: l.ID, ContactID: l.ContactID,
		Answer: &crm.Answer{StepID: step, Kind: "choice", Value: value, Score: score, UpdateID: at.Unix(), At: at},
		Score:  score, Stage: crm.StageQualifying, Temperature: crm.Cold, Step: next,
		At: at, // no "answered" event: Events derives it from the answer

	}
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var e *crm.Error
	require.True(t, errors.As(err, &e), "want *crm.Error with code %s, got %T: %v", code, err, err)
	require.Equal(t, code, e.Code, "error: %v", err)
}

func requireTime(t *testing.T, want, got time.Time, why ...string) {
	t.Helper()
	require.True(t, want.Equal(got), "want time %s, got %s %v", want, got, why)
}

func kinds(events []crm.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func testUpsertContact(t *testing.T, b *bundle) {
	created := b.tick()
	c := &crm.Contact{TelegramUserID: 42, ChatID: 4200, FirstName: "Anna", LastName: "Petrova",
		Username: "anna_p", Phone: "+79990001122", Email: "anna@example.com", Language: "ru",
		TimeZone: "Europe/Moscow", CreatedAt: created}
	require.NoError(t, b.store.UpsertContact(b.ctx, c))
	require.NotZero(t, c.ID)
	requireTime(t, created, c.CreatedAt)
	requireTime(t, created, c.UpdatedAt)

	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	updated := b.tick()
	again := &crm.Contact{TelegramUserID: 42, ChatID: 4201, FirstName: "Anya", Username: "",
		Phone: "+79990003344", Email: "new@example.com", Language: "en", TimeZone: "Asia/Tbilisi",
		CreatedAt: updated}
	require.NoError(t, b.store.UpsertContact(b.ctx, again))
	require.Equal(t, c.ID, again.ID, "same Telegram user, same contact")
	requireTime(t, created, again.CreatedAt)
	requireTime(t, updated, again.UpdatedAt)

	got, err = b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, crm.Contact{ID: c.ID, TelegramUserID: 42, ChatID: 4201, FirstName: "Anya",
		Phone: "+79990003344", Email: "new@example.com", Language: "en", TimeZone: "Asia/Tbilisi",
		CreatedAt: created, UpdatedAt: updated}, *got)

	other := b.contact(t, 43)
	require.NotEqual(t, c.ID, other.ID)
}

func testUpsertContactKeeps(t *testing.T, b *bundle) {
	c := &crm.Contact{TelegramUserID: 7, ChatID: 7, FirstName: "Boris", Phone: "+79991112233",
		Email: "boris@example.com", Language: "ru", TimeZone: "Europe/Moscow", CreatedAt: b.tick()}
	require.NoError(t, b.store.UpsertContact(b.ctx, c))

	// An update from Telegram carries the profile and nothing learned.
	again := &crm.Contact{TelegramUserID: 7, FirstName: "Boris", LastName: "B", UpdatedAt: b.tick()}
	require.NoError(t, b.store.UpsertContact(b.ctx, again))
	require.Equal(t, c.ID, again.ID)
	require.Equal(t, "+79991112233", again.Phone, "filled from the stored row")
	require.Equal(t, "boris@example.com", again.Email)
	require.Equal(t, "Europe/Moscow", again.TimeZone)
	require.Equal(t, "ru", again.Language)
	require.Equal(t, int64(7), again.ChatID)
	require.Equal(t, "B", again.LastName)

	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, again, got)
}

func testUpsertContactInvalid(t *testing.T, b *bundle) {
	requireCode(t, b.store.UpsertContact(b.ctx, &crm.Contact{FirstName: "nobody"}), crm.EINVALID)
	requireCode(t, b.store.UpsertContact(b.ctx, nil), crm.EINVALID)
}

func testContactNotFound(t *testing.T, b *bundle) {
	_, err := b.store.Contact(b.ctx, 987654)
	requireCode(t, err, crm.ENOTFOUND)
}

func testCreateLead(t *testing.T, b *bundle) {
	c := b.contact(t, 100)
	l := b.lead(t, c.ID)
	require.NotZero(t, l.ID)

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, &crm.Lead{ID: l.ID, ContactID: c.ID, Stage: crm.StageQualifying,
		Temperature: crm.Cold, FlowID: "qualify", FlowVersion: 3, Step: "need",
		Attribution: l.Attribution, CreatedAt: l.CreatedAt, UpdatedAt: l.CreatedAt}, got)

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)
	e := events[0]
	require.Equal(t, crm.EventCreated, e.Kind)
	require.Equal(t, l.ID, e.LeadID)
	require.Equal(t, "customer", e.Actor)
	requireTime(t, l.CreatedAt, e.At)
	require.Equal(t, "qualify", e.Data["flow_id"])
	require.Equal(t, "google", e.Data["source"])
	require.Equal(t, "spring", e.Data["campaign"])
}

func testCreateLeadDefaults(t *testing.T, b *bundle) {
	c := b.contact(t, 101)
	l := &crm.Lead{ContactID: c.ID, FlowID: "qualify", Step: "need", CreatedAt: b.tick()}
	require.NoError(t, b.store.CreateLead(b.ctx, l))
	require.Equal(t, crm.StageNew, l.Stage)
	require.Equal(t, crm.Cold, l.Temperature)
	requireTime(t, l.CreatedAt, l.UpdatedAt)

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageNew, got.Stage)
	require.Equal(t, crm.Cold, got.Temperature)
	require.Nil(t, got.QualifiedAt)
}

func testCreateLeadUnknownContact(t *testing.T, b *bundle) {
	err := b.store.CreateLead(b.ctx, &crm.Lead{ContactID: 555555, CreatedAt: b.tick()})
	requireCode(t, err, crm.ENOTFOUND)
}

func testLeadNotFound(t *testing.T, b *bundle) {
	_, err := b.store.Lead(b.ctx, 31337)
	requireCode(t, err, crm.ENOTFOUND)
}

func testLatestLead(t *testing.T, b *bundle) {
	c := b.contact(t, 200)
	_, err := b.store.LatestLead(b.ctx, c.ID)
	requireCode(t, err, crm.ENOTFOUND)

	first := b.lead(t, c.ID)
	second := b.lead(t, c.ID)
	other := b.contact(t, 201)
	b.lead(t, other.ID)

	got, err := b.store.LatestLead(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, second.ID, got.ID)
	require.NotEqual(t, first.ID, got.ID)
	require.Equal(t, c.ID, got.ContactID)

	_, err = b.store.LatestLead(b.ctx, 999999)
	requireCode(t, err, crm.ENOTFOUND)
}

// testResume: Resume upserts the contact and returns its latest lead with
// that lead's current answers, as UpsertContact, LatestLead and Answers
// would one after the other.
func testResume(t *testing.T, b *bundle) {
	c := &crm.Contact{TelegramUserID: 250, ChatID: 250, FirstName: "Анна", Language: "ru", CreatedAt: b.tick()}
	l, answers, err := b.store.Resume(b.ctx, c)
	require.NoError(t, err)
	require.Nil(t, l, "a new contact has no lead")
	require.Nil(t, answers)
	require.NotZero(t, c.ID, "the contact was stored")
	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "Анна", got.FirstName)

	first := b.lead(t, c.ID)
	require.NoError(t, b.store.SaveProgress(b.ctx, b.answer(first, "need", "buy", 30, "budget")))
	second := b.lead(t, c.ID)
	p := b.answer(second, "need", "price", 10, "budget")
	p.Answer.UpdateID = 77
	require.NoError(t, b.store.SaveProgress(b.ctx, p))
	require.NoError(t, b.store.SaveProgress(b.ctx, b.answer(second, "budget", "5000", 0, "email")))
	other := b.contact(t, 251)
	b.lead(t, other.ID)

	again := &crm.Contact{TelegramUserID: 250, ChatID: 250, FirstName: "Аня", Phone: "+79990001122", UpdatedAt: b.tick()}
	l, answers, err = b.store.Resume(b.ctx, again)
	require.NoError(t, err)
	require.Equal(t, c.ID, again.ID, "the same contact, by its Telegram id")
	require.Equal(t, "Аня", again.FirstName)
	require.Equal(t, "ru", again.Language, "kept from before")
	require.NotNil(t, l)
	require.Equal(t, second.ID, l.ID, "the latest lead")
	want, err := b.store.Answers(b.ctx, second.ID)
	require.NoError(t, err)
	require.Equal(t, want, answers)
	require.Len(t, answers, 2)
	require.Equal(t, int64(77), answers[0].UpdateID)
	latest, err := b.store.LatestLead(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, latest, l)

	_, _, err = b.store.Resume(b.ctx, &crm.Contact{FirstName: "nobody"})
	requireCode(t, err, crm.EINVALID)
}

func testSaveProgress(t *testing.T, b *bundle) {
	c := b.contact(t, 300)
	l := b.lead(t, c.ID)

	p := b.answer(l, "need", "buy", 30, "budget")
	p.Temperature = crm.Warm
	require.NoError(t, b.store.SaveProgress(b.ctx, p))
	require.NotZero(t, p.Answer.ID, "SaveProgress fills the answer's id")

	p2 := b.answer(l, "budget", "150000", 30, "phone")
	p2.Score = 60
	p2.Temperature = crm.Hot
	p2.Answer.Kind = "number"
	require.NoError(t, b.store.SaveProgress(b.ctx, p2))

	p3 := b.answer(l, "phone", "+79990001122", 0, "")
	p3.Answer.Kind = "phone"
	p3.Score = 60
	p3.Temperature = crm.Hot
	p3.Phone = "+79990001122"
	p3.Email = "lead@example.com"
	require.NoError(t, b.store.SaveProgress(b.ctx, p3))

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, 60, got.Score)
	require.Equal(t, crm.StageQualifying, got.Stage)
	require.Equal(t, crm.Hot, got.Temperature)
	require.Equal(t, "", got.Step)
	requireTime(t, p3.At, got.UpdatedAt)
	requireTime(t, l.CreatedAt, got.CreatedAt)
	require.Nil(t, got.QualifiedAt, "not qualified yet")

	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []crm.Answer{
		{ID: p.Answer.ID, LeadID: l.ID, StepID: "need", Kind: "choice", Value: "buy", Score: 30, UpdateID: p.At.Unix(), At: p.At},
		{ID: p2.Answer.ID, LeadID: l.ID, StepID: "budget", Kind: "number", Value: "150000", Score: 30, UpdateID: p2.At.Unix(), At: p2.At},
		{ID: p3.Answer.ID, LeadID: l.ID, StepID: "phone", Kind: "phone", Value: "+79990001122", Score: 0, UpdateID: p3.At.Unix(), At: p3.At},
	}, answers)

	contact, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "+79990001122", contact.Phone)
	require.Equal(t, "lead@example.com", contact.Email)
	requireTime(t, p3.At, contact.UpdatedAt)

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventAnswered, crm.EventAnswered, crm.EventAnswered}, kinds(events))
	require.Equal(t, map[string]any{"step": "budget", "score": float64(30)}, events[2].Data,
		"an answer is on the timeline as its answers row: step and score")
	requireTime(t, p2.At, events[2].At)
}

func testSaveProgressQualifies(t *testing.T, b *bundle) {
	c := b.contact(t, 310)
	l := b.lead(t, c.ID)

	p := b.answer(l, "need", "buy", 70, "")
	p.Stage = crm.StageQualified
	p.Temperature = crm.Hot
	p.Events = append(p.Events, crm.Event{Kind: crm.EventQualified, Actor: "system",
		Data: map[string]any{"score": 70, "temperature": "hot"}})
	require.NoError(t, b.store.SaveProgress(b.ctx, p))

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageQualified, got.Stage)
	require.Equal(t, crm.Hot, got.Temperature)
	require.Equal(t, 70, got.Score)
	require.NotNil(t, got.QualifiedAt)
	requireTime(t, p.At, *got.QualifiedAt)

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventAnswered, crm.EventQualified}, kinds(events))
	require.Equal(t, "system", events[2].Actor)
	require.Equal(t, float64(70), events[2].Data["score"], "JSON numbers come back as float64")
	requireTime(t, p.At, events[2].At)

	// Progress after qualification (a late note) keeps the first qualified_at.
	later := b.tick()
	require.NoError(t, b.store.SaveProgress(b.ctx, crm.Progress{LeadID: l.ID, Score: 70,
		Stage: crm.StageQualified, Temperature: crm.Hot, At: later}))
	got, err = b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	requireTime(t, p.At, *got.QualifiedAt)
	requireTime(t, later, got.UpdatedAt)
}

func testSaveProgressWithoutAnswer(t *testing.T, b *bundle) {
	c := b.contact(t, 320)
	l := b.lead(t, c.ID)
	at := b.tick()
	require.NoError(t, b.store.SaveProgress(b.ctx, crm.Progress{LeadID: l.ID, ContactID: c.ID,
		Score: 5, Stage: crm.StageQualifying, Temperature: crm.Cold, Step: "need",
		Events: []crm.Event{{Kind: crm.EventMessage, Actor: "customer", Data: map[string]any{"text": "hello?"}}},
		At:     at}))

	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Empty(t, answers)
	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, 5, got.Score)
	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventMessage}, kinds(events))
	requireTime(t, at, events[1].At, "an event without a time takes the progress's")
	require.Equal(t, "hello?", events[1].Data["text"])
}

func testSaveProgressDuplicate(t *testing.T, b *bundle) {
	c := b.contact(t, 330)
	l := b.lead(t, c.ID)
	first := b.answer(l, "need", "buy", 30, "budget")
	require.NoError(t, b.store.SaveProgress(b.ctx, first))

	// The same update delivered again, and a different value for the same
	// step: both change nothing.
	for _, value := range []string{"buy", "price"} {
		dup := b.answer(l, "need", value, 99, "email")
		dup.Stage = crm.StageQualified
		dup.Temperature = crm.Hot
		dup.Phone = "+70000000000"
		err := b.store.SaveProgress(b.ctx, dup)
		requireCode(t, err, crm.ECONFLICT)
		require.Zero(t, dup.Answer.ID)
	}

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, 30, got.Score)
	require.Equal(t, "budget", got.Step)
	require.Equal(t, crm.StageQualifying, got.Stage)
	requireTime(t, first.At, got.UpdatedAt)
	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, answers, 1)
	require.Equal(t, "buy", answers[0].Value)
	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventAnswered}, kinds(events))
	contact, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Empty(t, contact.Phone)
}

func testSaveProgressConcurrent(t *testing.T, b *bundle) {
	c := b.contact(t, 340)
	l := b.lead(t, c.ID)
	const replicas = 8
	var (
		wg   sync.WaitGroup
		errs = make([]error, replicas)
	)
	for i := range replicas {
		p := b.answer(l, "need", "buy", 30, "budget")
		wg.Go(func() { errs[i] = b.store.SaveProgress(b.ctx, p) })
	}
	wg.Wait()
	var ok int
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		requireCode(t, err, crm.ECONFLICT)
	}
	require.Equal(t, 1, ok, "exactly one replica stores the answer")
	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, answers, 1)
	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, events, 2)
}

func testSaveProgressUnknownLead(t *testing.T, b *bundle) {
	withAnswer := crm.Progress{LeadID: 424242, Answer: &crm.Answer{StepID: "need", Value: "buy"},
		Stage: crm.StageQualifying, Temperature: crm.Cold, At: b.tick()}
	requireCode(t, b.store.SaveProgress(b.ctx, withAnswer), crm.ENOTFOUND)
	withoutAnswer := crm.Progress{LeadID: 424242, Stage: crm.StageQualifying, Temperature: crm.Cold,
		Events: []crm.Event{{Kind: crm.EventMessage}}, At: b.tick()}
	requireCode(t, b.store.SaveProgress(b.ctx, withoutAnswer), crm.ENOTFOUND)
}

func testSaveProgressInvalid(t *testing.T, b *bundle) {
	c := b.contact(t, 350)
	l := b.lead(t, c.ID)
	other := b.contact(t, 351)

	cases := map[string]func(p *crm.Progress){
		"no lead":             func(p *crm.Progress) { p.LeadID = 0 },
		"no step":             func(p *crm.Progress) { p.Answer.StepID = "" },
		"event without kind":  func(p *crm.Progress) { p.Events = []crm.Event{{Actor: "customer"}} },
		"unknown stage":       func(p *crm.Progress) { p.Stage = "maybe" },
		"unknown temperature": func(p *crm.Progress) { p.Temperature = "lukewarm" },
		"another contact":     func(p *crm.Progress) { p.ContactID = other.ID; p.Phone = "+79990000000" },
		"answer of another":   func(p *crm.Progress) { p.Answer.LeadID = l.ID + 1000 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			p := b.answer(l, "need", "buy", 30, "budget")
			mutate(&p)
			requireCode(t, b.store.SaveProgress(b.ctx, p), crm.EINVALID)
		})
	}
	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Empty(t, answers, "no invalid progress left anything behind")
	got, err := b.store.Contact(b.ctx, other.ID)
	require.NoError(t, err)
	require.Empty(t, got.Phone)
}

func testSaveProgressUnstorable(t *testing.T, b *bundle) {
	c := b.contact(t, 360)
	l := b.lead(t, c.ID)
	p := b.answer(l, "comment", "nul\x00byte", 0, "")
	p.Answer.Kind = "text"
	requireCode(t, b.store.SaveProgress(b.ctx, p), crm.EINVALID)

	p = b.answer(l, "comment", "ok", 0, "")
	p.Events = []crm.Event{{Kind: crm.EventMessage, Actor: "customer", Data: map[string]any{"text": "bad \x00 in json"}}}
	requireCode(t, b.store.SaveProgress(b.ctx, p), crm.EINVALID)

	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Empty(t, answers)
}

func testRestartLead(t *testing.T, b *bundle) {
	c := b.contact(t, 400)
	l := b.lead(t, c.ID)
	p := b.answer(l, "need", "buy", 70, "")
	p.Stage = crm.StageQualified
	p.Temperature = crm.Hot
	require.NoError(t, b.store.SaveProgress(b.ctx, p))

	at := b.tick()
	require.NoError(t, b.store.RestartLead(b.ctx, l.ID, "need", at))

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageNew, got.Stage)
	require.Equal(t, 0, got.Score)
	require.Equal(t, crm.Cold, got.Temperature)
	require.Equal(t, "need", got.Step)
	require.Nil(t, got.QualifiedAt)
	requireTime(t, at, got.UpdatedAt)
	require.Equal(t, l.Attribution, got.Attribution, "a restart keeps the first touch")

	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Empty(t, answers, "superseded answers are not current")

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventAnswered, crm.EventRestarted}, kinds(events))
	e := events[2]
	requireTime(t, at, e.At)
	require.Equal(t, "need", e.Data["step"])
	require.Equal(t, float64(1), e.Data["superseded"])
	require.Equal(t, "qualified", e.Data["previous_stage"])

	// The step can be answered again, once.
	again := b.answer(l, "need", "price", 10, "budget")
	require.NoError(t, b.store.SaveProgress(b.ctx, again))
	requireCode(t, b.store.SaveProgress(b.ctx, b.answer(l, "need", "price", 10, "budget")), crm.ECONFLICT)
	answers, err = b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, answers, 1)
	require.Equal(t, "price", answers[0].Value)
}

func testRestartLeadNotFound(t *testing.T, b *bundle) {
	requireCode(t, b.store.RestartLead(b.ctx, 777777, "need", b.tick()), crm.ENOTFOUND)
	c := b.contact(t, 410)
	l := b.lead(t, c.ID)
	requireCode(t, b.store.RestartLead(b.ctx, l.ID, "", b.tick()), crm.EINVALID)
}

func testCloseLead(t *testing.T, b *bundle) {
	c := b.contact(t, 500)
	l := b.lead(t, c.ID)
	at := b.tick()
	ev := crm.Event{Kind: crm.EventCancelled, Actor: "customer", Data: map[string]any{"via": "/cancel"}, At: at}
	require.NoError(t, b.store.CloseLead(b.ctx, l.ID, "changed mind", ev))

	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageLost, got.Stage)
	require.Equal(t, "changed mind", got.LostReason)
	requireTime(t, at, got.UpdatedAt)

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, crm.EventCancelled}, kinds(events))
	require.Equal(t, "customer", events[1].Actor)
	require.Equal(t, "/cancel", events[1].Data["via"])
	requireTime(t, at, events[1].At)

	// Closing again is a conflict and records nothing.
	requireCode(t, b.store.CloseLead(b.ctx, l.ID, "again", ev), crm.ECONFLICT)
	got, err = b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, "changed mind", got.LostReason)
	events, err = b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, events, 2)

	// A restart reopens the lead, and it can be closed again.
	require.NoError(t, b.store.RestartLead(b.ctx, l.ID, "need", b.tick()))
	got, err = b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageNew, got.Stage)
	require.Empty(t, got.LostReason)
	require.NoError(t, b.store.CloseLead(b.ctx, l.ID, "silence", crm.Event{Actor: "system", At: b.tick()}))
	events, err = b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	last := events[len(events)-1]
	require.Equal(t, crm.EventStage, last.Kind, "an event without a kind is a stage change")
	require.Equal(t, map[string]any{"stage": "lost", "reason": "silence"}, last.Data)
}

func testCloseLeadNotOpen(t *testing.T, b *bundle) {
	c := b.contact(t, 510)
	l := b.lead(t, c.ID)
	p := b.answer(l, "need", "buy", 70, "")
	p.Stage = crm.StageQualified
	require.NoError(t, b.store.SaveProgress(b.ctx, p))
	err := b.store.CloseLead(b.ctx, l.ID, "too late", crm.Event{Kind: crm.EventCancelled, At: b.tick()})
	requireCode(t, err, crm.ECONFLICT)
	got, err := b.store.Lead(b.ctx, l.ID)
	require.NoError(t, err)
	require.Equal(t, crm.StageQualified, got.Stage)
	require.Empty(t, got.LostReason)
}

func testCloseLeadNotFound(t *testing.T, b *bundle) {
	err := b.store.CloseLead(b.ctx, 888888, "gone", crm.Event{Kind: crm.EventCancelled, At: b.tick()})
	requireCode(t, err, crm.ENOTFOUND)
}

func testEvents(t *testing.T, b *bundle) {
	c := b.contact(t, 600)
	l := b.lead(t, c.ID)
	t1, t2 := b.tick(), b.tick()
	// Added out of order: the timeline is ordered by the events' own times.
	require.NoError(t, b.store.AddEvent(b.ctx, crm.Event{LeadID: l.ID, Kind: crm.EventTouch, Actor: "customer",
		Data: map[string]any{"source": "instagram", "n": 2, "nested": map[string]any{"ok": true}}, At: t2}))
	require.NoError(t, b.store.AddEvent(b.ctx, crm.Event{LeadID: l.ID, Kind: crm.EventStage, Actor: "Anna",
		At: t1}))

	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, []string{crm.EventCreated, crm.EventStage, crm.EventTouch}, kinds(events))
	require.Equal(t, "Anna", events[1].Actor)
	require.Equal(t, map[string]any{}, events[1].Data, "nil data reads back as an empty map")
	requireTime(t, t1, events[1].At)
	require.Equal(t, map[string]any{"source": "instagram", "n": float64(2),
		"nested": map[string]any{"ok": true}}, events[2].Data)
	requireTime(t, t2, events[2].At)
	for _, e := range events {
		require.Equal(t, l.ID, e.LeadID)
		require.NotZero(t, e.ID)
	}

	requireCode(t, b.store.AddEvent(b.ctx, crm.Event{LeadID: 9999999, Kind: crm.EventTouch, At: b.tick()}), crm.ENOTFOUND)
}

func testAddEventInvalid(t *testing.T, b *bundle) {
	c := b.contact(t, 610)
	l := b.lead(t, c.ID)
	requireCode(t, b.store.AddEvent(b.ctx, crm.Event{LeadID: l.ID, At: b.tick()}), crm.EINVALID)
	requireCode(t, b.store.AddEvent(b.ctx, crm.Event{Kind: crm.EventTouch, At: b.tick()}), crm.EINVALID)
	requireCode(t, b.store.AddEvent(b.ctx, crm.Event{LeadID: l.ID, Kind: crm.EventTouch,
		Data: map[string]any{"bad": make(chan int)}, At: b.tick()}), crm.EINVALID)
	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)
}

func testListNotFound(t *testing.T, b *bundle) {
	_, err := b.store.Answers(b.ctx, 123456)
	requireCode(t, err, crm.ENOTFOUND)
	_, err = b.store.Events(b.ctx, 123456)
	requireCode(t, err, crm.ENOTFOUND)

	c := b.contact(t, 700)
	l := b.lead(t, c.ID)
	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Empty(t, answers, "a new lead has no answers, and that is not an error")
}

func testManyScripts(t *testing.T, b *bundle) {
	texts := []string{
		"Здравствуйте", "مرحبا", "שלום", "你好", "こんにちは", "안녕하세요", "नमस्ते", "สวัสดี",
		"Γειά σου", "Բարեւ", "გამარჯობა", "ሰላም", "வணக்கம்", "ສະບາຍດີ", "မင်္ဂလာပါ", "👋🏽 🧑‍🚀 🇷🇺",
		"O'Brien; DROP TABLE leads; --", strings.Repeat("ё", 4000),
	}
	c := &crm.Contact{TelegramUserID: 800, FirstName: texts[1], LastName: texts[15], Username: "x",
		CreatedAt: b.tick()}
	require.NoError(t, b.store.UpsertContact(b.ctx, c))
	l := b.lead(t, c.ID)
	for i, text := range texts {
		p := b.answer(l, "q"+string(rune('a'+i)), text, 0, "")
		p.Events = []crm.Event{{Kind: crm.EventMessage, Actor: "customer", Data: map[string]any{"text": text}}}
		require.NoError(t, b.store.SaveProgress(b.ctx, p))
	}
	answers, err := b.store.Answers(b.ctx, l.ID)
	require.NoError(t, err)
	require.Len(t, answers, len(texts))
	for i, a := range answers {
		require.Equal(t, texts[i], a.Value)
	}
	events, err := b.store.Events(b.ctx, l.ID)
	require.NoError(t, err)
	var typed []any
	for _, e := range events {
		if e.Kind == crm.EventMessage {
			typed = append(typed, e.Data["text"])
		}
	}
	require.Len(t, typed, len(texts))
	for i, text := range texts {
		require.Equal(t, text, typed[i])
	}
	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, texts[1], got.FirstName)
	require.Equal(t, texts[15], got.LastName)
}
