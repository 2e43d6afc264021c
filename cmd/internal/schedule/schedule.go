// Package schedule runs the config's cron schedules (robfig/cron) on
// every replica, one replica per tick.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/voronka/voronka/crm"
)

// TickStore is where replicas agree on ticks (PostgreSQL's
// schedule_ticks): the first to insert a tick runs it.
type TickStore interface {
	ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error)
	LastTick(ctx context.Context, name string) (time.Time, bool, error)
}

// Scheduler runs the config's cron schedules in the configured time zone.
// Every replica runs the same scheduler; a tick runs on exactly one of
// them, whichever claims it first in PostgreSQL. At start, a schedule
// whose last tick is older than its previous due time (every replica was
// down) runs once to catch up. A panic in a sweep is recovered and logged,
// and a sweep still running is not started again. Each tick, its claim
// included, has a deadline (queue.job_timeout, as a job has): a sweep only
// selects and queues jobs, and one whose database hangs must fail and
// free the schedule for the next tick rather than hold it for ever.
type Scheduler struct {
	cron  *cron.Cron
	ticks TickStore
	clock crm.Clock
	log   *slog.Logger
	tz    *time.Location
	// timeout bounds one tick: the claim, the catch-up's look-up and the
	// sweep.
	timeout time.Duration

	mu   sync.Mutex
	jobs []*scheduled
}

type scheduled struct {
	name     string
	schedule cron.Schedule
	sweep    func(ctx context.Context, now time.Time) error
	running  sync.Mutex
	timeout  time.Duration // the tick's deadline; 0: the scheduler's
}

// New returns a scheduler in time zone tz whose ticks end at timeout.
func New(tz *time.Location, ticks TickStore, clock crm.Clock, log *slog.Logger, timeout time.Duration) *Scheduler {
	cl := cronLogger{log}
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &Scheduler{
		cron:    cron.New(cron.WithLocation(tz), cron.WithChain(cron.Recover(cl))),
		ticks:   ticks,
		clock:   clock,
		log:     log,
		tz:      tz,
		timeout: timeout,
	}
}

// Add registers a sweep under name at spec (a standard cron expression,
// or with CRON_TZ= for a zone of its own).
func (s *Scheduler) Add(ctx context.Context, name, spec string, sweep func(ctx context.Context, now time.Time) error) error {
	return s.AddLong(ctx, name, spec, 0, sweep)
}

// AddLong is Add for a sweep that does its work in the tick rather than
// queueing jobs (the model's training): its ticks end at timeout instead
// of the scheduler's deadline (0 keeps that one).
func (s *Scheduler) AddLong(ctx context.Context, name, spec string, timeout time.Duration, sweep func(ctx context.Context, now time.Time) error) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("schedule %s %q: %w", name, spec, err)
	}
	j := &scheduled{name: name, schedule: sched, sweep: sweep, timeout: timeout}
	s.mu.Lock()
	s.jobs = append(s.jobs, j)
	s.mu.Unlock()
	s.cron.Schedule(sched, cron.FuncJob(func() {
		now := s.clock.Now()
		s.fire(ctx, j, now.In(s.tz).Truncate(time.Minute), now)
	}))
	return nil
}

// fire runs j's tick if this replica claims it and j is not running here.
func (s *Scheduler) fire(ctx context.Context, j *scheduled, tick, now time.Time) bool {
	if !j.running.TryLock() {
		s.log.WarnContext(ctx, "sweep still running, tick skipped", "schedule", j.name, "tick", tick)
		return false
	}
	defer j.running.Unlock()
	timeout := s.timeout
	if j.timeout > 0 {
		timeout = j.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	first, err := s.ticks.ClaimTick(ctx, j.name, tick)
	if err != nil {
		s.log.ErrorContext(ctx, "claim tick", "schedule", j.name, "err", err)
		return false
	}
	if !first {
		return false // another replica has this tick
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "sweep panicked", "schedule", j.name, "panic", fmt.Sprint(p))
		}
	}()
	if err := j.sweep(ctx, now); err != nil {
		s.log.ErrorContext(ctx, "sweep failed", "schedule", j.name, "err", err)
	}
	return true
}

// catchUp runs, once, every schedule that missed a tick while no replica
// was running: its last recorded tick is before the latest time it was
// due. A schedule that never ran has nothing to catch up.
func (s *Scheduler) catchUp(ctx context.Context) {
	now := s.clock.Now()
	s.mu.Lock()
	jobs := append([]*scheduled(nil), s.jobs...)
	s.mu.Unlock()
	for _, j := range jobs {
		lctx, cancel := context.WithTimeout(ctx, s.timeout)
		last, ok, err := s.ticks.LastTick(lctx, j.name)
		cancel()
		if err != nil {
			s.log.ErrorContext(ctx, "catch up", "schedule", j.name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		due := j.schedule.Next(last.In(s.tz))
		if due.After(now) {
			continue
		}
		// The latest due time before now names the catch-up tick, so
		// replicas starting together catch up once between them.
		for next := j.schedule.Next(due); !next.After(now); next = j.schedule.Next(next) {
			due = next
		}
		if s.fire(ctx, j, due.Truncate(time.Minute), now) {
			s.log.InfoContext(ctx, "missed tick caught up", "schedule", j.name, "missed", due, "last", last)
		}
	}
}

// Start catches up what was missed, then runs the schedules.
func (s *Scheduler) Start(ctx context.Context) {
	s.catchUp(ctx)
	s.cron.Start()
}

// Stop waits for running sweeps.
func (s *Scheduler) Stop() { <-s.cron.Stop().Done() }

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Fire runs the tick of the schedule named name now, as its cron entry
// would: only if this replica claims the tick and the sweep is not
// running here. It reports whether the sweep ran (tests drive ticks with
// it on a fake clock).
func (s *Scheduler) Fire(ctx context.Context, name string, tick, now time.Time) bool {
	s.mu.Lock()
	var j *scheduled
	for _, c := range s.jobs {
		if c.name == name {
			j = c
		}
	}
	s.mu.Unlock()
	return j != nil && s.fire(ctx, j, tick, now)
}

// Check says whether spec is a schedule Add accepts (a standard cron
// expression, or with CRON_TZ= for a zone of its own).
func Check(spec string) error {
	_, err := cron.ParseStandard(spec)
	return err
}
