package postgres

import (
	"context"
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
}

// QueueOptions tune the workers.
type QueueOptions struct {
	// Workers is how many jobs run at once on this replica; 0 makes an
	// insert-only queue (no jobs are worked here).
	Workers int
	// FetchPoll is how often idle workers look for jobs besides LISTEN.
	FetchPoll time.Duration
	Logger    *slog.Logger
}

// JobFunc does one job; an error retries it with River's backoff.
type JobFunc func(ctx context.Context, job crm.Job) error

// NewQueue builds the queue on db. do runs every job; it may be nil for an
// insert-only queue.
func NewQueue(db *DB, do JobFunc, opts QueueOptions) (*Queue, error) {
	workers := river.NewWorkers()
	if do != nil {
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[jobArgs]) error {
			err := do(ctx, crm.Job{Kind: j.Args.Job, LeadID: j.Args.LeadID, Key: j.Args.Key})
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
	cfg := &river.Config{Workers: workers, Logger: opts.Logger, SkipUnknownJobCheck: do == nil}
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
	q := &Queue{client: client, db: db}
	db.queue = q
	return q, nil
}

// Start begins working jobs (a no-op for an insert-only queue).
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Stop lets running jobs finish, up to ctx's deadline.
func (q *Queue) Stop(ctx context.Context) error {
	return q.client.Stop(ctx)
}

// insert queues jobs in tx.
func (q *Queue) insert(ctx context.Context, tx pgx.Tx, jobs []crm.Job) error {
	for _, j := range jobs {
		if j.Kind == "" || j.LeadID < 0 {
			return crm.Errorf(crm.EINVALID, "a job needs a kind")
		}
		// One by one: a handful of jobs per fact, each checked unique.
		if _, err := q.client.InsertTx(ctx, tx, jobArgs{Job: j.Kind, LeadID: j.LeadID, Key: j.Key}, nil); err != nil {
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
