package postgres

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/voronka/voronka/storage/internal/batch"
)

// maxGroup is the most answers written in one round trip and one commit.
const maxGroup = 16

// groupTimeout bounds one group's round trip when the caller who started
// it has gone: the writes must finish or fail, not hang.
const groupTimeout = 30 * time.Second

// groupedAnswer is one answer statement waiting for its group.
type groupedAnswer struct {
	args      []any
	contactID *int64
	answerID  *int64
	err       error
	done      chan struct{}
}

// answerGroup writes the answers of concurrent updates together: the
// statements queued while its writers are busy go to the
// server as one pipeline, ending in one commit. On a machine where the
// bot and PostgreSQL share the cores, a round trip and a commit cost
// PostgreSQL more than the statement (measured: 262 µs of its CPU per
// answer one by one, 150 µs in groups; docs/benchmarks.md); under light
// load nothing waits, since a lone answer finds a free slot and goes at
// once, alone.
//
// The queue and its writers are a batch.Group: an answer that finds a
// writer's slot free writes groups itself until its own is done, so no
// customer's update waits on other customers' answers longer than its own
// group.
//
// A group is one implicit transaction: if any statement in it fails, none
// is kept, and each answer is written again alone, so that one bad answer
// fails alone. The answer statement is idempotent (its unique index), so a
// group whose fate is unknown (the connection cut after the commit) is
// safe to write again: the answers already kept come back as conflicts,
// exactly as a redelivered update would.
type answerGroup struct {
	pool  *pgxpool.Pool
	batch *batch.Group[*groupedAnswer]
	// groups counts the groups of more than one answer kept, for tests.
	groups atomic.Int64
}

func newAnswerGroup(pool *pgxpool.Pool, limit int) *answerGroup {
	g := &answerGroup{pool: pool}
	g.batch = batch.New(limit, maxGroup, func(b []*groupedAnswer) { g.write(context.Background(), b) })
	return g
}

// do writes one answer (saveAnswerSQL with args) in some group and scans
// its row into contactID and answerID. It returns when the answer's
// group has been written, or when ctx ends (the write may still happen).
func (g *answerGroup) do(ctx context.Context, args []any, contactID, answerID **int64) error {
	a := &groupedAnswer{args: args, done: make(chan struct{})}
	g.batch.Do(a, a.done)
	select {
	case <-a.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	*contactID, *answerID = a.contactID, a.answerID
	return a.err
}

// write sends a group and marks each of its answers done.
func (g *answerGroup) write(ctx context.Context, batch []*groupedAnswer) {
	ctx, cancel := context.WithTimeout(ctx, groupTimeout)
	defer cancel()
	defer func() {
		for _, a := range batch {
			close(a.done)
		}
	}()
	if len(batch) > 1 && g.writeGroup(ctx, batch) == nil {
		return
	}
	for _, a := range batch {
		a.contactID, a.answerID = nil, nil
		a.err = g.pool.QueryRow(ctx, saveAnswerSQL, a.args...).Scan(&a.contactID, &a.answerID)
	}
}

// writeGroup sends the group as one batch: one round trip, one implicit
// transaction. Any error means nothing of it was kept.
func (g *answerGroup) writeGroup(ctx context.Context, batch []*groupedAnswer) error {
	var b pgx.Batch
	for _, a := range batch {
		b.Queue(saveAnswerSQL, a.args...)
	}
	br := g.pool.SendBatch(ctx, &b)
	var first error
	for _, a := range batch {
		if err := br.QueryRow().Scan(&a.contactID, &a.answerID); err != nil && first == nil {
			first = err
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = err
	}
	if first == nil {
		g.groups.Add(1)
	}
	return first
}
