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
// running when it was killed (state running, its run's row in job_runs,
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
		attempted_by = ARRAY['replica-1']`)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO job_runs (job_id) SELECT id FROM river_job`)
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
	waitFailed(t, db, "other")
	_, err = db.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
	require.NoError(t, err)
	r.wait(t)
	got := r.all()
	require.Len(t, got, 3)
	require.False(t, got[1].Interrupted)
	require.False(t, got[2].Interrupted, "retried after an error, not after a crash")
	require.Equal(t, 2, got[2].Attempt)

	// Finished jobs' marks stay until River has recorded them completed,
	// and the prune removes them then; an interrupted job's mark stays.
	waitState(t, db, "k", "completed")
	waitState(t, db, "other", "completed")
	require.Equal(t, 1, runMarks(t, db, "other"), "kept until pruned")
	_, err = db.Pool.Exec(ctx, `INSERT INTO river_job (state, attempt, max_attempts, args, kind, queue, attempted_by, attempted_at)
		VALUES ('retryable', 1, 12, '{"job": "customer_notice", "lead_id": 1, "key": "cut"}', 'voronka', 'default', ARRAY['replica-2'], now())`)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO job_runs (job_id) SELECT id FROM river_job WHERE args->>'key' = 'cut'`)
	require.NoError(t, err)
	require.NoError(t, q.PruneRuns(ctx, time.Now()))
	require.Zero(t, runMarks(t, db, "k"))
	require.Zero(t, runMarks(t, db, "other"))
	require.Equal(t, 1, runMarks(t, db, "cut"), "a job that will run again keeps its mark")
	_, err = db.Pool.Exec(ctx, `DELETE FROM river_job WHERE args->>'key' = 'cut'`)
	require.NoError(t, err)
	require.NoError(t, q.PruneRuns(ctx, time.Now()))
	var left int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM job_runs`).Scan(&left))
	require.Zero(t, left, "the mark of a job River no longer keeps goes too")
}

// TestLegacyRunMarkInterrupts: a job a replica before migration 0013 was
// running when it died carries the mark in its metadata; the next run is
// interrupted all the same, and a failure clears that mark too.
func TestLegacyRunMarkInterrupts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.NewDB(t)
	r := &runs{ran: make(chan struct{}, 10), fail: true}
	q, err := postgres.NewQueue(db, r.do, postgres.QueueOptions{Workers: 1, ID: "replica-1", FetchPoll: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: 0, Key: "old"}))
	_, err = db.Pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),
		attempted_by = ARRAY['replica-1'], metadata = metadata || '{"voronka:running": true}'`)
	require.NoError(t, err)
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	r.wait(t)
	require.True(t, r.all()[0].Interrupted)

	// It failed: the retry is no longer interrupted.
	waitFailed(t, db, "old")
	_, err = db.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
	require.NoError(t, err)
	r.wait(t)
	require.False(t, r.all()[1].Interrupted)
	waitState(t, db, "old", "completed")
	var legacy bool
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT metadata ? 'voronka:running' FROM river_job`).Scan(&legacy))
	require.False(t, legacy)
}

// TestRunMarkLeavesRiverJobAlone: a run writes its mark in job_runs, not
// in River's row, whose metadata and GIN-indexed args stay as inserted.
func TestRunMarkLeavesRiverJobAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.NewDB(t)
	r := &runs{ran: make(chan struct{}, 10)}
	q, err := postgres.NewQueue(db, r.do, postgres.QueueOptions{Workers: 1, FetchPoll: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: 0, Key: "new"}))
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	r.wait(t)
	waitState(t, db, "new", "completed")
	var metadata string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT metadata::text FROM river_job`).Scan(&metadata))
	require.NotContains(t, metadata, "voronka:running")
	require.Equal(t, 1, runMarks(t, db, "new"))
	require.False(t, r.all()[0].Interrupted)
}

// waitState waits until the job with key is in state.
func waitState(t *testing.T, db *postgres.DB, key, state string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var got string
		err := db.Pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE args->>'key' = $1`, key).Scan(&got)
		return err == nil && got == state
	}, 10*time.Second, 20*time.Millisecond, "job %s never became %s", key, state)
}

// waitFailed waits until River has recorded the failure of the job with
// key (retryable, or available again when the retry is due at once) and
// checks that the failed run left no mark: in one snapshot, no job waiting
// for its next run has one.
func waitFailed(t *testing.T, db *postgres.DB, key string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var failed bool
		err := db.Pool.QueryRow(context.Background(), `SELECT state IN ('retryable', 'available') OR errors IS NOT NULL
			FROM river_job WHERE args->>'key' = $1`, key).Scan(&failed)
		return err == nil && failed
	}, 10*time.Second, 20*time.Millisecond, "job %s never failed", key)
	var marked int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM job_runs r JOIN river_job j ON j.id = r.job_id
		WHERE j.args->>'key' = $1 AND j.state IN ('retryable', 'available')`, key).Scan(&marked))
	require.Zero(t, marked, "a failed run leaves no mark")
}

// runMarks counts the run marks of the job with key.
func runMarks(t *testing.T, db *postgres.DB, key string) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM job_runs r
		JOIN river_job j ON j.id = r.job_id WHERE j.args->>'key' = $1`, key).Scan(&n))
	return n
}
