package postgres_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

type salesBundle struct {
	db    *postgres.DB
	leads *postgres.LeadStore
	sales *postgres.SalesStore
	team  []crm.Manager
	at    time.Time
}

func setupSales(t *testing.T) *salesBundle {
	t.Helper()
	db := postgrestest.NewDB(t)
	_, err := postgres.NewQueue(db, nil, postgres.QueueOptions{})
	require.NoError(t, err)
	b := &salesBundle{db: db, leads: postgres.NewLeadStore(db), sales: postgres.NewSalesStore(db),
		at: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b.team, err = b.sales.SyncTeam(context.Background(), []crm.Manager{
		{Name: "Anna", Role: crm.RoleHead, SlackID: "UANNA"},
		{Name: "Boris", Role: crm.RoleRep, SlackID: "UBORIS"},
		{Name: "Vera", Role: crm.RoleRep, TelegramID: 1003},
	})
	require.NoError(t, err)
	return b
}

// hotLead stores a qualified hot lead for a new contact.
func (b *salesBundle) hotLead(t *testing.T, tgID int64) int64 {
	t.Helper()
	ctx := context.Background()
	c := &crm.Contact{TelegramUserID: tgID, ChatID: tgID, FirstName: "C"}
	require.NoError(t, b.leads.UpsertContact(ctx, c))
	l := &crm.Lead{ContactID: c.ID, FlowID: "qualify", FlowVersion: 1, Step: "need", CreatedAt: b.at}
	require.NoError(t, b.leads.CreateLead(ctx, l))
	require.NoError(t, b.leads.SaveProgress(ctx, crm.Progress{LeadID: l.ID, Answer: &crm.Answer{StepID: "need", Kind: "choice", Value: "buy", Score: 70},
		Score: 70, Stage: crm.StageQualified, Temperature: crm.Hot, At: b.at,
		Jobs: crm.AlertJobs(l.ID, crm.StageQualified, crm.Hot)}))
	return l.ID
}

func (b *salesBundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n))
	return n
}

func TestSyncTeamKeepsIDsAndDeactivates(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	again, err := b.sales.SyncTeam(context.Background(), []crm.Manager{{Name: "Boris", Role: crm.RoleHead, SlackID: "UB2"}})
	require.NoError(t, err)
	require.Equal(t, b.team[1].ID, again[0].ID, "same name, same id")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM managers WHERE NOT active`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM managers WHERE name = 'Boris' AND role = 'head' AND slack_id = 'UB2'`))
}

func TestAlertJobQueuedWithTheAnswer(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	id := b.hotLead(t, 11)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'sales_alert' AND (args->>'lead_id')::bigint = $1`, id))
	// The same cause again queues nothing new.
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), `SELECT 1`).Scan(new(int)))
	require.NoError(t, b.sales.Enqueue(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: id}))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'sales_alert'`))
}

// TestSimultaneousClaimsOneOwner: reps pressing Claim at once; one wins,
// the others are told who did.
func TestSimultaneousClaimsOneOwner(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	id := b.hotLead(t, 12)
	var wg sync.WaitGroup
	errs := make([]error, len(b.team))
	for i, m := range b.team {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.sales.Act(context.Background(), crm.Action{LeadID: id, Kind: crm.ActClaim, By: m, At: b.at}, false,
				[]crm.Job{{Kind: crm.JobCardUpdate, LeadID: id, Key: m.Name}})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
		require.Contains(t, crm.ErrorMessage(err), "already claimed by")
	}
	require.Equal(t, 1, won)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE kind = 'claimed'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update'`), "only the winner's job")
}

func TestActMovesTheFunnel(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	anna, boris, vera := b.team[0], b.team[1], b.team[2]
	id := b.hotLead(t, 13)

	_, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActContacted, By: boris, At: b.at}, false, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), "contacted before a claim")

	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: boris, At: b.at}, false, nil)
	require.NoError(t, err)
	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActContacted, By: vera, At: b.at}, false, nil)
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err), "another rep's lead")

	l, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActContacted, By: boris, At: b.at.Add(time.Minute)}, false, nil)
	require.NoError(t, err)
	require.Equal(t, crm.StageContacted, l.Stage)
	l, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActWon, By: anna, Amount: 150000, At: b.at.Add(time.Hour)}, true, nil)
	require.NoError(t, err, "a head may close anyone's lead")
	require.Equal(t, crm.StageWon, l.Stage)
	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActLost, By: boris, Reason: "x", At: b.at}, false, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	require.Contains(t, crm.ErrorMessage(err), "already won")

	card, assignee, err := b.sales.Card(ctx, id)
	require.NoError(t, err)
	require.Equal(t, boris.ID, assignee)
	require.Equal(t, 150000.0, card.Amount)
	require.NotNil(t, card.ContactedAt)
	require.Equal(t, []crm.CardAnswer{{Question: "need", Value: "buy", Score: 70, Kind: "choice"}}, card.Answers)

	lost := b.hotLead(t, 14)
	_, err = b.sales.Act(ctx, crm.Action{LeadID: lost, Kind: crm.ActLost, By: anna, Reason: "no budget", At: b.at}, true, nil)
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND stage = 'lost' AND lost_reason = 'no budget'`, lost))
}

func TestBreachesAreRecordedOnce(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	id := b.hotLead(t, 15)
	due, err := b.sales.DueClaimBreaches(ctx, b.at.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, due, "not alerted yet: the SLA has not started")

	require.NoError(t, b.sales.MarkAlerted(ctx, id, b.at))
	due, err = b.sales.DueClaimBreaches(ctx, b.at.Add(-time.Second))
	require.NoError(t, err)
	require.Empty(t, due)
	due, err = b.sales.DueClaimBreaches(ctx, b.at.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, []int64{id}, due)

	for i := range 3 {
		ok, err := b.sales.RecordBreach(ctx, id, "claim", b.at.Add(time.Duration(i)*time.Minute), crm.Job{Kind: crm.JobEscalate, LeadID: id})
		require.NoError(t, err)
		require.Equal(t, i == 0, ok)
	}
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE kind = 'sla_breached'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'sla_escalate'`))
	due, err = b.sales.DueClaimBreaches(ctx, b.at.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, due)
}

func TestAssignAndWaitingQueue(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	first, second := b.hotLead(t, 16), b.hotLead(t, 17)
	require.NoError(t, b.sales.SetWaiting(ctx, second, b.at))
	require.NoError(t, b.sales.SetWaiting(ctx, first, b.at))
	w, err := b.sales.Waiting(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{first, second}, w, "oldest first")

	lead, err := b.sales.Assign(ctx, first, b.team[1].ID, b.at, nil)
	require.NoError(t, err)
	card, manager, err := b.sales.Card(ctx, first)
	require.NoError(t, err)
	require.Equal(t, b.team[1].ID, manager)
	require.False(t, card.Waiting, "no longer waiting")
	require.Equal(t, card.Lead, *lead, "the lead as a read gives it")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'assigned' AND data->>'manager_id' = $2`, first, itoa(b.team[1].ID)))
	w, err = b.sales.Waiting(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{second}, w)
	load, err := b.sales.OpenLoad(ctx)
	require.NoError(t, err)
	require.Equal(t, map[int64]int{b.team[1].ID: 1}, load)
	last, err := b.sales.LastAssignee(ctx)
	require.NoError(t, err)
	require.Equal(t, b.team[1].ID, last)

	_, err = b.sales.Act(ctx, crm.Action{LeadID: first, Kind: crm.ActClaim, By: b.team[2], At: b.at}, false, nil)
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err), "assigned to Boris")
	_, err = b.sales.Act(ctx, crm.Action{LeadID: first, Kind: crm.ActClaim, By: b.team[1], At: b.at}, false, nil)
	require.NoError(t, err)
	_, err = b.sales.Assign(ctx, first, b.team[2].ID, b.at, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	_, err = b.sales.Assign(ctx, 1<<40, b.team[2].ID, b.at, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), "gone")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'assigned'`, first), "no event for a refused assignment")

	// Queued once: a lead already waiting, or claimed, is not queued
	// again (ECONFLICT), and gets no second event.
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(b.sales.SetWaiting(ctx, second, b.at)))
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(b.sales.SetWaiting(ctx, first, b.at)))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'waiting'`, second))

	// The queue's sweep assigns with the card's redraw, in one
	// transaction; a refused assignment queues nothing.
	job := crm.Job{Kind: crm.JobCardUpdate, LeadID: second, Key: "assigned@1"}
	lead, err = b.sales.Assign(ctx, second, b.team[2].ID, b.at.Add(time.Minute), []crm.Job{job})
	require.NoError(t, err)
	require.Equal(t, b.at.Add(time.Minute), lead.UpdatedAt)
	_, err = b.sales.Assign(ctx, first, b.team[2].ID, b.at, []crm.Job{{Kind: crm.JobCardUpdate, LeadID: first, Key: "assigned@2"}})
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update' AND (args->>'lead_id')::bigint = $1`, second))
}

// TestLargestAmountFitsTheColumn pins crm.MaxAmount to leads.amount: the
// largest sale the domain accepts is stored to the cent, and the next
// cent would not fit.
func TestLargestAmountFitsTheColumn(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	anna := b.team[0]
	id := b.hotLead(t, 18)
	_, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: anna, At: b.at}, true, nil)
	require.NoError(t, err)
	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActWon, By: anna, Amount: crm.MaxAmount, At: b.at}, true, nil)
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND amount = 999999999999.99`, id))
	err = b.db.Pool.QueryRow(ctx, `SELECT 1000000000000::numeric(14, 2)`).Scan(new(float64))
	require.ErrorContains(t, err, "numeric field overflow")
}

// TestRepeatedPressIsToldItIsDone: the owner pressing Contacted (or Claim)
// again is told the lead is already contacted (already theirs), not whose
// lead it is; so is a head, and another rep learns it is contacted too.
func TestRepeatedPressIsToldItIsDone(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	anna, boris, vera := b.team[0], b.team[1], b.team[2]
	id := b.hotLead(t, 19)
	_, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: boris, At: b.at}, false, nil)
	require.NoError(t, err)

	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: boris, At: b.at}, false, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	require.Equal(t, "lead #"+itoa(id)+" is already yours", crm.ErrorMessage(err))
	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: vera, At: b.at}, false, nil)
	require.Equal(t, "lead #"+itoa(id)+" is already claimed by Boris", crm.ErrorMessage(err))

	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActContacted, By: boris, At: b.at}, false, nil)
	require.NoError(t, err)
	for _, by := range []struct {
		m        crm.Manager
		anyOwner bool
	}{{boris, false}, {anna, true}, {vera, false}} {
		_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActContacted, By: by.m, At: b.at.Add(time.Minute)}, by.anyOwner, nil)
		require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), by.m.Name)
		require.Equal(t, "lead #"+itoa(id)+" is already contacted", crm.ErrorMessage(err), by.m.Name)
	}
	_, err = b.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActWon, By: vera, Amount: 1, At: b.at}, false, nil)
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err), "another rep's lead is still refused as such")
	require.Equal(t, "lead #"+itoa(id)+" is Boris's", crm.ErrorMessage(err))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND data->>'to' = 'contacted'`, id))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCardRefFirstPostWins: alerts saving a lead's card in one channel at
// once store one row, and every one of them is told the same reference,
// the stored one; the save that marks the lead alerted does so once.
func TestCardRefFirstPostWins(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	id := b.hotLead(t, 16)

	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = b.sales.SaveCardRef(ctx, crm.CardPost{LeadID: id, Channel: "slack",
				Ref: "CSALES:" + strconv.Itoa(i), At: b.at.Add(time.Duration(i) * time.Second), Alerted: i%2 == 0})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
	}
	_, _, refs, err := b.sales.CardWithRefs(ctx, id)
	require.NoError(t, err)
	require.Len(t, refs, 1)
	for i := range n {
		require.Equal(t, refs["slack"], got[i], "save %d is told the first post's ref", i)
	}
	var alerted int
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT extract(epoch FROM alerted_at - $2)::int FROM leads WHERE id = $1`, id, b.at).Scan(&alerted))
	require.Contains(t, []int{0, 2, 4, 6}, alerted, "alerted by one of the saves that said so")

	// Another channel's card is its own row; a save without Alerted
	// leaves alerted_at alone.
	other := b.hotLead(t, 17)
	ref, err := b.sales.SaveCardRef(ctx, crm.CardPost{LeadID: other, Channel: "telegram", Ref: "-100:1", At: b.at})
	require.NoError(t, err)
	require.Equal(t, "-100:1", ref)
	require.Zero(t, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND alerted_at IS NOT NULL`, other))
	ref, err = b.sales.SaveCardRef(ctx, crm.CardPost{LeadID: other, Channel: "slack", Ref: "CSALES:9", At: b.at, Alerted: true})
	require.NoError(t, err)
	require.Equal(t, "CSALES:9", ref)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND alerted_at = $2`, other, b.at))

	_, err = b.sales.SaveCardRef(ctx, crm.CardPost{LeadID: 1 << 40, Channel: "slack", Ref: "x", At: b.at, Alerted: true})
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
}
