package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// runs records the jobs a queue ran.
type runs struct {
	mu   sync.Mutex
	jobs []crm.Job
	fail bool
	ran  chan struct{}
}

func (r *runs) do(_ context.Context, j crm.Job) error {
	r.mu.Lock()
	r.jobs = append(r.jobs, j)
	fail := r.fail
	r.fail = false
	r.mu.Unlock()
	r.ran <- struct{}{}
	if fail {
		return errors.New("a failure, not a crash")
	}
	return nil
}

func (r *runs) all() []crm.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]crm.Job(nil), r.jobs...)
}

func (r *runs) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not run")
	}
}

// TestRestartedReplicaResumesInterruptedJobs: a job its replica was
// running when it was killed (state running, a run mark in its metadata,
// attempted last by that replica) runs again as soon as a replica with the
// same ID starts, and is told it was interrupted; a job that failed
// normally is retried and is not.
func TestRestartedReplicaResumesInterruptedJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.NewDB(t)
	r := &runs{ran: make(chan struct{}, 10)}
	q, err := postgres.NewQueue(db, r.do, postgres.QueueOptions{Workers: 1, ID: "replica-1", FetchPoll: 50 * time.Millisecond})
	require.NoError(t, err)
	leads := postgres.NewLeadStore(db)
	c := &crm.Contact{TelegramUserID: 1, ChatID: 1}
	require.NoError(t, leads.UpsertContact(ctx, c))
	l := &crm.Lead{ContactID: c.ID, FlowID: "qualify", FlowVersion: 1, Step: "need"}
	require.NoError(t, leads.CreateLead(ctx, l))
	lead := l.ID
	require.NoError(t, q.Enqueue(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: lead, Key: "k"}))

	// What kill -9 leaves behind, as River and startRun would have written it.
	_, err = db.Pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),
		attempted_by = ARRAY['replica-1'], metadata = metadata || '{"voronka:running": true}'`)
	require.NoError(t, err)
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	r.wait(t)
	require.Equal(t, []crm.Job{{Kind: crm.JobCustomerNotice, LeadID: lead, Key: "k", Interrupted: true, Attempt: 2}}, r.all())

	// A run that returns an error is no crash: its retry is not interrupted.
	r.mu.Lock()
	r.fail = true
	r.mu.Unlock()
	require.NoError(t, q.Enqueue(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: lead, Key: "other"}))
	r.wait(t)
	_, err = db.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
	require.NoError(t, err)
	r.wait(t)
	got := r.all()
	require.Len(t, got, 3)
	require.False(t, got[1].Interrupted)
	require.False(t, got[2].Interrupted, "retried after an error, not after a crash")
	require.Equal(t, 2, got[2].Attempt)
}
