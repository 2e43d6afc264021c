package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/voronka/voronka/crm"
)

// jobArgs carries a crm.Job through River. One River kind serves every
// crm job kind, so adding a job is a crm change only; uniqueness is by
// args, i.e. by (crm kind, lead, key): a cause produces its job once for as
// long as River keeps the job (completed jobs included).
type jobArgs struct {
	Job    string `json:"job"`
	LeadID int64  `json:"lead_id"`
	Key    string `json:"key,omitempty"`
}

func (jobArgs) Kind() string { return "voronka" }

func (a jobArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 12,
		Queue:       river.QueueDefault,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			// Unique in every state but cancelled and discarded: a job
			// that was done is never done again.
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending,
				rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled,
			},
		},
	}
}

// Queue is the durable job queue: River over the same PostgreSQL, so a job
// is inserted in the transaction of the fact that causes it and exists if
// and only if that transaction commits.
type Queue struct {
	client *river.Client[pgx.Tx]
	db     *DB
	id     string
	logger *slog.Logger
}

// QueueOptions tune the workers.
type QueueOptions struct {
	// Workers is how many jobs run at once on this replica; 0 makes an
	// insert-only queue (no jobs are worked here).
	Workers int
	// FetchPoll is how often idle workers look for jobs besides LISTEN.
	FetchPoll time.Duration
	// JobTimeout bounds one run of a job (River's default, 1m, when 0).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay "running" before River takes
	// its replica for dead and runs it again (River's default, 1h, when
	// 0). A card held by a killed replica waits this long, so keep it a
	// little over JobTimeout.
	RescueAfter time.Duration
	// ID names this replica to River. When set (unique per replica, the
	// same across its restarts), Start re-queues at once the jobs a
	// previous process with this ID left running: it was killed, or it
	// would still hold the ID.
	ID     string
	Logger *slog.Logger
}

// JobFunc does one job; an error retries it with River's backoff.
type JobFunc func(ctx context.Context, job crm.Job) error

// NewQueue builds the queue on db. do runs every job; it may be nil for an
// insert-only queue.
func NewQueue(db *DB, do JobFunc, opts QueueOptions) (*Queue, error) {
	workers := river.NewWorkers()
	if do != nil {
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[jobArgs]) error {
			interrupted, err := db.startRun(ctx, j.ID, j.Metadata)
			if err != nil {
				return err
			}
			err = do(ctx, crm.Job{Kind: j.Args.Job, LeadID: j.Args.LeadID, Key: j.Args.Key, Interrupted: interrupted, Attempt: j.Attempt})
			if err != nil {
				// A failure, not a crash: the next attempt may do it all.
				db.endRun(context.WithoutCancel(ctx), j.ID)
			}
			var later *crm.Later
			if errors.As(err, &later) {
				// Quiet hours: back in the queue until the customer's morning.
				return river.JobSnooze(max(later.Wait, time.Second))
			}
			return err
		}))
	}
	// An insert-only queue (another replica works the jobs) has no worker
	// to check the kind against.
	cfg := &river.Config{Workers: workers, Logger: opts.Logger, SkipUnknownJobCheck: do == nil,
		ID: opts.ID, JobTimeout: opts.JobTimeout, RescueStuckJobsAfter: opts.RescueAfter}
	if opts.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		cfg.FetchPollInterval = opts.FetchPoll
		if cfg.FetchPollInterval == 0 {
			cfg.FetchPollInterval = 100 * time.Millisecond
		}
		// River debounces both fetches and insert notifications by the
		// cooldown (100ms by default). A hot lead's card is the product's
		// promise of speed, so 10ms: at most 100 fetches a second per
		// replica when busy, and a card ~25ms after the answer, not ~400.
		cfg.FetchCooldown = min(cfg.FetchPollInterval, 10*time.Millisecond)
	}
	client, err := river.NewClient(riverpgxv5.New(db.Pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("new queue: %w", err)
	}
	q := &Queue{client: client, db: db, id: opts.ID, logger: cfg.Logger}
	db.queue = q
	return q, nil
}

// Start begins working jobs (a no-op for an insert-only queue), first
// re-queueing what this replica's previous process left running.
func (q *Queue) Start(ctx context.Context) error {
	if q.id != "" {
		n, err := q.rescueOwn(ctx)
		if err != nil {
			return fmt.Errorf("start queue: %w", err)
		}
		if n > 0 {
			q.logger.WarnContext(ctx, "re-queued jobs a killed predecessor left running", "replica", q.id, "jobs", n)
		}
	}
	if err := q.client.Start(ctx); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Stop lets running jobs finish, up to ctx's deadline.
func (q *Queue) Stop(ctx context.Context) error {
	return q.client.Stop(ctx)
}

// rescueOwn makes every job last attempted by this replica's ID and still
// "running" available again. River's own rescuer does the same after
// RescueAfter for any replica; a replica that restarts under its ID knows
// sooner, because the process that held those jobs is gone. River has no
// call for it (JobRetry leaves running jobs alone), hence the UPDATE on
// its table, shaped like its rescuer's. The jobs are idempotent by design
// (a card is posted once per channel, a survey is sent once per row), so
// running one again is safe.
func (q *Queue) rescueOwn(ctx context.Context) (int64, error) {
	tag, err := q.db.Pool.Exec(ctx, `
		UPDATE river_job SET
			state = 'available',
			scheduled_at = now(),
			metadata = metadata || jsonb_build_object('voronka:rescued_by', $1::text)
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, q.id)
	if err != nil {
		return 0, fmt.Errorf("rescue own jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// A run in progress is marked by its row in job_runs (migration 0013). A
// run that ends with an error removes it (endRun); a run that ends well
// leaves it until River has recorded the job completed, and PruneRuns
// removes it then; a run whose process died leaves it for good. The next
// run that finds the row knows it was interrupted (crm.Job.Interrupted).
//
// The row stays after a success, rather than being deleted at once, for
// two reasons: deleting it would be one more round trip per job, and a job
// whose completion River failed to record (the connection cut after the
// work was done) runs again and must see the mark, or it would message the
// customer a second time.

// legacyRunningKey is where replicas before migration 0013 marked a run:
// a key in the River job's metadata. A job such a replica was running when
// it died still carries it, so startRun honours it and endRun clears it;
// once no job that old can run again, both can forget it.
const legacyRunningKey = "voronka:running"

// startRun marks job id as running and reports whether its previous run
// was interrupted: its mark is still there (ours, or the legacy one in
// metadata, the job's as River fetched it). One INSERT of a narrow row per
// run; River's job row is not touched.
func (db *DB) startRun(ctx context.Context, id int64, metadata []byte) (bool, error) {
	tag, err := db.Pool.Exec(ctx, `INSERT INTO job_runs (job_id) VALUES ($1) ON CONFLICT (job_id) DO NOTHING`, id)
	if err != nil {
		return false, fmt.Errorf("mark job %d running: %w", id, err)
	}
	return tag.RowsAffected() == 0 || hasLegacyMark(metadata), nil
}

// hasLegacyMark reports whether metadata carries the pre-0013 run mark.
func hasLegacyMark(metadata []byte) bool {
	if !bytes.Contains(metadata, []byte(legacyRunningKey)) {
		return false // the usual case, without decoding
	}
	var m map[string]any
	_ = json.Unmarshal(metadata, &m)
	_, ok := m[legacyRunningKey]
	return ok
}

// endRun clears the mark of a run that failed (an error is not a crash),
// the legacy one in the job's metadata too. If it cannot, the retry is
// taken for interrupted, which errs on the side of not sending twice.
func (db *DB) endRun(ctx context.Context, id int64) {
	if _, err := db.Pool.Exec(ctx, `WITH legacy AS (
			UPDATE river_job SET metadata = metadata - $2::text WHERE id = $1 AND metadata ? $2::text)
		DELETE FROM job_runs WHERE job_id = $1`, id, legacyRunningKey); err != nil {
		db.logger.WarnContext(ctx, "unmark job run", "job_id", id, "err", err)
	}
}

// PruneRuns deletes the run marks of jobs River has completed or no longer
// keeps. It runs on a schedule (cmd/internal/app, on the SLA sweep's beat)
// rather than per job: one statement a minute for every job finished in
// it, instead of a round trip each. The mark of a job River has not
// recorded as completed stays, whatever state the job is in, so a job
// that can still run again still knows it was interrupted; a cancelled or
// discarded job's mark goes when River's cleaner deletes the job.
func (q *Queue) PruneRuns(ctx context.Context, _ time.Time) error {
	if _, err := q.db.Pool.Exec(ctx, `DELETE FROM job_runs r WHERE NOT EXISTS (
			SELECT FROM river_job j WHERE j.id = r.job_id AND j.state <> 'completed')`); err != nil {
		return fmt.Errorf("prune job runs: %w", err)
	}
	return nil
}

// insert queues jobs in tx.
func (q *Queue) insert(ctx context.Context, tx pgx.Tx, jobs []crm.Job) error {
	for _, j := range jobs {
		if j.Kind == "" || j.LeadID < 0 {
			return crm.Errorf(crm.EINVALID, "a job needs a kind")
		}
		// One by one: a handful of jobs per fact, each checked unique.
		var opts *river.InsertOpts
		if !j.At.IsZero() {
			opts = &river.InsertOpts{ScheduledAt: j.At}
		}
		if _, err := q.client.InsertTx(ctx, tx, jobArgs{Job: j.Kind, LeadID: j.LeadID, Key: j.Key}, opts); err != nil {
			return fmt.Errorf("queue %s: %w", j.Kind, err)
		}
	}
	return nil
}

// Enqueue queues jobs in their own transaction (for sweeps whose cause is
// time itself).
func (q *Queue) Enqueue(ctx context.Context, jobs ...crm.Job) error {
	return pgx.BeginFunc(ctx, q.db.Pool, func(tx pgx.Tx) error { return q.insert(ctx, tx, jobs) })
}

// enqueue is how stores put jobs in their transactions.
func (db *DB) enqueue(ctx context.Context, tx pgx.Tx, jobs []crm.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if db.queue == nil {
		return errors.New("jobs given but no queue is set up on this database")
	}
	return db.queue.insert(ctx, tx, jobs)
}

// migrateRiver brings River's own tables up to date, serialised like ours.
func (db *DB) migrateRiver(ctx context.Context) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil || schema == nil {
		return fmt.Errorf("migrate river: no current schema: %v", err)
	}
	h := fnv.New64a()
	h.Write([]byte("voronka/migrate-river/" + *schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("migrate river: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	m, err := rivermigrate.New(riverpgxv5.New(db.Pool), &rivermigrate.Config{Logger: db.logger})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}
