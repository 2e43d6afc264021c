package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// roundTrips is a pgx tracer that records what a pool sends PostgreSQL
// and waits for: each query (Query, QueryRow, Exec, BEGIN and COMMIT
// among them) and each batch. A statement's first preparation on a
// connection is not counted: it is the connection's, not the caller's.
type roundTrips struct {
	mu   sync.Mutex
	sent []string
}

func (r *roundTrips) add(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, what)
}

// take returns what was sent since the last take.
func (r *roundTrips) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(strings.Join(strings.Fields(d.SQL), " "))
	return ctx
}

func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.add(fmt.Sprintf("batch of %d", d.Batch.Len()))
	return ctx
}

func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// traced opens a second pool on db's schema whose round trips are
// counted.
func traced(t *testing.T, db *postgres.DB) (*postgres.DB, *roundTrips) {
	t.Helper()
	ctx := context.Background()
	var schema string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	cfg, err := postgres.ParseConfig(postgrestest.URL(t))
	require.NoError(t, err)
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	rt := &roundTrips{}
	cfg.ConnConfig.Tracer = rt
	out, err := postgres.OpenConfig(ctx, cfg, postgrestest.Logger(t))
	require.NoError(t, err)
	t.Cleanup(out.Close)
	return out, rt
}

// claimFirst is a SalesStore on which the lead is claimed by claim just
// before routing reads the team's load: an alert's assignment then
// finds it claimed.
type claimFirst struct {
	*postgres.SalesStore
	claim func(ctx context.Context) error
}

func (s claimFirst) OpenLoad(ctx context.Context) (map[int64]int, error) {
	if err := s.claim(ctx); err != nil {
		return nil, err
	}
	return s.SalesStore.OpenLoad(ctx)
}

// TestAlertRoundTrips counts the PostgreSQL round trips of a hot lead's
// alert to two channels and checks that the card it posts is the card a
// read gives afterwards: one batch reads the card with its references,
// routing reads the load and assigns (or queues) in one statement each,
// whose outcome is put on the card read instead of reading it again, and
// each channel's card is saved in one statement, the last with
// alerted_at. A lead claimed while it was routed is read again. Before
// issue 20's change a routed alert cost 10 (the card, the load, BEGIN,
// UPDATE, event, COMMIT, the card again, the references, two saves).
func TestAlertRoundTrips(t *testing.T) {
	t.Parallel()
	for i, tt := range []struct {
		name     string
		strategy crm.Strategy
		onDuty   bool
		claimed  bool
		want     []string // the round trips, by their beginning
		owner    string
	}{
		{"assigned", crm.LeastLoaded, true, false,
			[]string{"batch of 4", "SELECT manager_id, count(*)", "WITH assigned AS", "WITH alerted AS", "WITH alerted AS"}, "Boris"},
		{"waiting", crm.LeastLoaded, false, false,
			[]string{"batch of 4", "SELECT manager_id, count(*)", "WITH queued AS", "WITH alerted AS", "WITH alerted AS"}, ""},
		{"first claim", crm.FirstClaim, true, false,
			[]string{"batch of 4", "WITH alerted AS", "WITH alerted AS"}, ""},
		{"claimed meanwhile", crm.LeastLoaded, true, true,
			[]string{"batch of 4", "SELECT manager_id, count(*)", "WITH assigned AS", "batch of 4", "WITH alerted AS", "WITH alerted AS"}, "Anna"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupSales(t)
			ctx := context.Background()
			id := b.hotLead(t, int64(100+i))
			db, rt := traced(t, b.db)
			var store crm.SalesStore = postgres.NewSalesStore(db)
			if tt.claimed {
				store = claimFirst{postgres.NewSalesStore(db), func(ctx context.Context) error {
					// On the untraced pool: another replica's claim.
					_, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: b.team[0], At: b.at}, true, nil)
					return err
				}}
			}
			var posted []*crm.LeadCard
			var mu sync.Mutex
			notifier := func(name string) *crmtest.SalesNotifier {
				return &crmtest.SalesNotifier{Name: name, PostCardFn: func(_ context.Context, c *crm.LeadCard) (string, error) {
					mu.Lock()
					defer mu.Unlock()
					posted = append(posted, c)
					return name + ":1", nil
				}}
			}
			team := []crm.Manager{
				{Name: "Anna", Role: crm.RoleHead, SlackID: "UANNA"},
				{Name: "Boris", Role: crm.RoleRep, SlackID: "UBORIS", OnDuty: tt.onDuty},
			}
			sales := crm.NewSales(store, crm.SalesPolicy{Strategy: tt.strategy}, team,
				[]crm.SalesNotifier{notifier("slack"), notifier("telegram")}, nil, nil, crmtest.NewClock(b.at))
			require.NoError(t, sales.Sync(ctx))
			rt.take()

			require.NoError(t, sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: id, Attempt: 1}))
			sent := rt.take()
			require.Len(t, sent, len(tt.want), "round trips: %q", sent)
			for i, want := range tt.want {
				require.True(t, strings.HasPrefix(sent[i], want), "round trip %d is %q, want %s...", i, sent[i], want)
			}

			// The card posted is the card as it is now (but for alerted_at,
			// which its post set).
			now, err := sales.LeadCard(ctx, id)
			require.NoError(t, err)
			require.NotNil(t, now.AlertedAt)
			require.Equal(t, b.at, *now.AlertedAt)
			now.AlertedAt = nil
			require.Len(t, posted, 2)
			for _, c := range posted {
				require.Equal(t, now, c)
			}
			if tt.owner == "" {
				require.Nil(t, now.Assignee)
			} else {
				require.Equal(t, tt.owner, now.Assignee.Name)
			}
			require.Equal(t, !tt.onDuty, now.Waiting)
		})
	}
}

// TestResumeIsOneRoundTrip: a chat whose session is gone is resumed with
// one batch (the contact's upsert, its latest lead, that lead's answers),
// whether the contact is new or has a lead with answers.
func TestResumeIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	tdb, rt := traced(t, db)
	store := postgres.NewLeadStore(tdb)
	ctx := t.Context()

	c := &crm.Contact{TelegramUserID: 4242, ChatID: 4242, FirstName: "Анна"}
	l, _, err := store.Resume(ctx, c)
	require.NoError(t, err)
	require.Nil(t, l)
	require.Equal(t, []string{"batch of 3"}, rt.take(), "a new customer")

	lead := &crm.Lead{ContactID: c.ID, Stage: crm.StageQualifying, Temperature: crm.Cold, FlowID: "qualify", Step: "need"}
	require.NoError(t, store.CreateLead(ctx, lead))
	require.NoError(t, store.SaveProgress(ctx, crm.Progress{LeadID: lead.ID, ContactID: c.ID, Stage: crm.StageQualifying,
		Temperature: crm.Cold, Step: "budget", Answer: &crm.Answer{LeadID: lead.ID, StepID: "need", Kind: "choice", Value: "buy"}}))
	rt.take()
	l, answers, err := store.Resume(ctx, &crm.Contact{TelegramUserID: 4242, ChatID: 4242, FirstName: "Анна"})
	require.NoError(t, err)
	require.Equal(t, lead.ID, l.ID)
	require.Len(t, answers, 1)
	require.Equal(t, []string{"batch of 3"}, rt.take(), "a customer with a lead in progress")
}
