package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestLeadStore runs the interface's suite against PostgreSQL, each subtest
// in its own schema.
func TestLeadStore(t *testing.T) {
	t.Parallel()
	postgrestest.RunLeadStoreTests(t, func(t *testing.T) crm.LeadStore {
		return postgres.NewLeadStore(postgrestest.NewDB(t))
	})
}

type fixture struct {
	ctx   context.Context
	db    *postgres.DB
	store *postgres.LeadStore
	lead  *crm.Lead
	at    time.Time
}

// setup gives a test its own migrated schema with one contact and one lead.
func setup(t *testing.T) *fixture {
	t.Helper()
	db := postgrestest.NewDB(t)
	f := &fixture{ctx: t.Context(), db: db, store: postgres.NewLeadStore(db),
		at: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)}
	c := &crm.Contact{TelegramUserID: 1, FirstName: "Anna", CreatedAt: f.at}
	require.NoError(t, f.store.UpsertContact(f.ctx, c))
	f.lead = &crm.Lead{ContactID: c.ID, FlowID: "qualify", Step: "need", CreatedAt: f.at}
	require.NoError(t, f.store.CreateLead(f.ctx, f.lead))
	return f
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.db.Pool.QueryRow(f.ctx, query, args...).Scan(&n))
	return n
}

func (f *fixture) progress(step, value string) crm.Progress {
	f.at = f.at.Add(time.Minute)
	return crm.Progress{LeadID: f.lead.ID, ContactID: f.lead.ContactID,
		Answer: &crm.Answer{StepID: step, Kind: "choice", Value: value, Score: 10},
		Score:  10, Stage: crm.StageQualifying, Temperature: crm.Cold, Step: "next",
		Events: []crm.Event{{Kind: crm.EventAnswered, Actor: "customer", Data: map[string]any{"step": step}}},
		At:     f.at}
}

func TestSaveProgressDuplicateStoresOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	first := f.progress("need", "buy")
	require.NoError(t, f.store.SaveProgress(f.ctx, first))
	err := f.store.SaveProgress(f.ctx, f.progress("need", "buy"))
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	require.ErrorContains(t, err, "save progress: ")

	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM answers WHERE lead_id = $1`, f.lead.ID))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'answered'`, f.lead.ID))

	var at time.Time
	require.NoError(t, f.db.Pool.QueryRow(f.ctx, `SELECT created_at FROM answers WHERE lead_id = $1`, f.lead.ID).Scan(&at))
	require.True(t, first.At.Equal(at), "the answer is dated by the caller's clock, not now(): %s", at)
}

func TestRestartKeepsSupersededAnswers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	require.NoError(t, f.store.SaveProgress(f.ctx, f.progress("need", "buy")))
	require.NoError(t, f.store.SaveProgress(f.ctx, f.progress("budget", "100")))
	restartAt := f.at.Add(time.Hour)
	require.NoError(t, f.store.RestartLead(f.ctx, f.lead.ID, "need", restartAt))
	require.NoError(t, f.store.SaveProgress(f.ctx, f.progress("need", "price")))

	require.Equal(t, 3, f.count(t, `SELECT count(*) FROM answers WHERE lead_id = $1`, f.lead.ID))
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM answers WHERE lead_id = $1 AND superseded_at = $2`,
		f.lead.ID, restartAt))
	answers, err := f.store.Answers(f.ctx, f.lead.ID)
	require.NoError(t, err)
	require.Len(t, answers, 1)
	require.Equal(t, "price", answers[0].Value)
}

func TestCloseLeadSetsLostAt(t *testing.T) {
	t.Parallel()
	f := setup(t)
	at := f.at.Add(time.Hour)
	require.NoError(t, f.store.CloseLead(f.ctx, f.lead.ID, "spam", crm.Event{Kind: crm.EventCancelled, At: at}))
	var lostAt time.Time
	require.NoError(t, f.db.Pool.QueryRow(f.ctx, `SELECT lost_at FROM leads WHERE id = $1`, f.lead.ID).Scan(&lostAt))
	require.True(t, at.Equal(lostAt))
	err := f.store.CloseLead(f.ctx, f.lead.ID, "spam", crm.Event{Kind: crm.EventCancelled, At: at})
	var e *crm.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, crm.ECONFLICT, e.Code)
	require.Equal(t, fmt.Sprintf("lead %d is lost, not open", f.lead.ID), e.Message)
}

func TestUpsertContactNullChatID(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := &crm.Contact{TelegramUserID: 99, FirstName: "Boris"}
	require.NoError(t, f.store.UpsertContact(f.ctx, c))
	require.Zero(t, c.ChatID)
	require.False(t, c.CreatedAt.IsZero(), "without a time the database's clock is used")
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND chat_id IS NULL`, c.ID))
}

// TestLeadVariantsKept: the lead's experiment arms are written with it,
// read back by Lead and LatestLead, and survive a restart (a variant is
// sticky for the life of the lead).
func TestLeadVariantsKept(t *testing.T) {
	t.Parallel()
	f := setup(t)
	got, err := f.store.Lead(f.ctx, f.lead.ID)
	require.NoError(t, err)
	require.Nil(t, got.Variants)

	l := &crm.Lead{ContactID: f.lead.ContactID, FlowID: "qualify", Step: "need", CreatedAt: f.at.Add(time.Hour),
		Variants: map[string]string{"budget_wording": "b", "short_form": "long"}}
	require.NoError(t, f.store.CreateLead(f.ctx, l))
	require.NoError(t, f.store.RestartLead(f.ctx, l.ID, "need", f.at.Add(2*time.Hour)))
	for _, read := range []func() (*crm.Lead, error){
		func() (*crm.Lead, error) { return f.store.Lead(f.ctx, l.ID) },
		func() (*crm.Lead, error) { return f.store.LatestLead(f.ctx, l.ContactID) },
	} {
		got, err := read()
		require.NoError(t, err)
		require.Equal(t, l.ID, got.ID)
		require.Equal(t, l.Variants, got.Variants)
	}
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM lead_variants WHERE lead_id = $1`, l.ID))
}
