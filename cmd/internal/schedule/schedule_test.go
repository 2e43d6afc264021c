package schedule

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm/crmtest"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestSchedulerOneReplicaPerTick: every replica's scheduler fires the
// tick; one runs it.
func TestSchedulerOneReplicaPerTick(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	clock := crmtest.NewClock(time.Date(2026, 11, 23, 10, 15, 0, 0, time.UTC))
	var runs atomic.Int32
	sweep := func(context.Context, time.Time) error { runs.Add(1); return nil }
	ctx := context.Background()
	var replicas []*Scheduler
	for range 3 {
		s := New(time.UTC, db, clock, postgrestest.Logger(t), 0)
		require.NoError(t, s.Add(ctx, "surveys", "*/15 * * * *", sweep))
		replicas = append(replicas, s)
	}
	for _, s := range replicas {
		s.fire(ctx, s.jobs[0], clock.Now(), clock.Now())
	}
	require.Equal(t, int32(1), runs.Load())
	// The next tick is a new one.
	clock.Add(15 * time.Minute)
	for _, s := range replicas {
		s.fire(ctx, s.jobs[0], clock.Now(), clock.Now())
	}
	require.Equal(t, int32(2), runs.Load())
}

// TestSchedulerCatchesUpOnce: a tick missed while every replica was down
// runs once when they come back, whichever starts first; nothing is caught
// up for a schedule that never ran or missed nothing.
func TestSchedulerCatchesUpOnce(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := context.Background()
	clock := crmtest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	var runs atomic.Int32
	var ranAt atomic.Value
	sweep := func(_ context.Context, now time.Time) error { runs.Add(1); ranAt.Store(now); return nil }

	first := New(time.UTC, db, clock, postgrestest.Logger(t), 0)
	require.NoError(t, first.Add(ctx, "surveys", "*/15 * * * *", sweep))
	first.catchUp(ctx)
	require.Zero(t, runs.Load(), "never ran: nothing to catch up")
	require.True(t, first.fire(ctx, first.jobs[0], clock.Now(), clock.Now()))
	require.Equal(t, int32(1), runs.Load())

	// Every replica is down from 10:00 to 11:07: the 10:15 ... 11:00 ticks
	// are missed; the two that come back run the sweep once between them.
	clock.Add(67 * time.Minute)
	for range 2 {
		s := New(time.UTC, db, clock, postgrestest.Logger(t), 0)
		require.NoError(t, s.Add(ctx, "surveys", "*/15 * * * *", sweep))
		s.catchUp(ctx)
	}
	require.Equal(t, int32(2), runs.Load())
	require.Equal(t, clock.Now(), ranAt.Load())
	var latest time.Time
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT max(tick) FROM schedule_ticks WHERE name = 'surveys'`).Scan(&latest))
	require.Equal(t, time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), latest.UTC(), "the latest missed tick")

	// Nothing missed since: no catch-up.
	third := New(time.UTC, db, clock, postgrestest.Logger(t), 0)
	require.NoError(t, third.Add(ctx, "surveys", "*/15 * * * *", sweep))
	third.catchUp(ctx)
	require.Equal(t, int32(2), runs.Load())
}

// TestSchedulerSurvivesAPanic: a sweep that panics is recovered and
// logged; the schedule goes on.
func TestSchedulerSurvivesAPanic(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := context.Background()
	clock := crmtest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	var runs atomic.Int32
	s := New(time.UTC, db, clock, postgrestest.Logger(t), 0)
	require.NoError(t, s.Add(ctx, "boom", "* * * * *", func(context.Context, time.Time) error {
		runs.Add(1)
		panic("sweep bug")
	}))
	require.NotPanics(t, func() { s.fire(ctx, s.jobs[0], clock.Now(), clock.Now()) })
	clock.Add(time.Minute)
	require.NotPanics(t, func() { s.fire(ctx, s.jobs[0], clock.Now(), clock.Now()) })
	require.Equal(t, int32(2), runs.Load())
	require.Error(t, s.Add(ctx, "bad", "every now and then", nil))
}

// TestSchedulerTickHasADeadline: a sweep whose database hangs (here, one
// that waits for its context like a blocked query) ends at the tick's
// deadline, so the schedule is free for its next tick.
func TestSchedulerTickHasADeadline(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := context.Background()
	clock := crmtest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	const timeout = 200 * time.Millisecond
	s := New(time.UTC, db, clock, postgrestest.Logger(t), timeout)
	var hadDeadline atomic.Bool
	require.NoError(t, s.Add(ctx, "hang", "* * * * *", func(ctx context.Context, _ time.Time) error {
		_, ok := ctx.Deadline()
		hadDeadline.Store(ok)
		<-ctx.Done()
		return ctx.Err()
	}))
	done := make(chan bool, 1)
	go func() { done <- s.fire(ctx, s.jobs[0], clock.Now(), clock.Now()) }()
	select {
	case ran := <-done:
		require.True(t, ran)
	case <-time.After(timeout + 2*time.Second):
		t.Fatal("the sweep was not stopped at its deadline")
	}
	require.True(t, hadDeadline.Load())
}
