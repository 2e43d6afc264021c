package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/voronka/voronka/crm"
)

// onceGuard lets one replica run each tick (a Redis SETNX per tick).
type onceGuard interface {
	First(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// scheduler runs the config's cron schedules in the configured time zone.
// Every replica runs the same scheduler; the guard makes each tick run on
// exactly one of them, whichever fires first. A panic in a sweep is
// recovered and logged, and a sweep still running is not started again.
type scheduler struct {
	cron  *cron.Cron
	guard onceGuard
	clock crm.Clock
	log   *slog.Logger
}

func newScheduler(tz *time.Location, guard onceGuard, clock crm.Clock, log *slog.Logger) *scheduler {
	cl := cronLogger{log}
	return &scheduler{
		cron:  cron.New(cron.WithLocation(tz), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl))),
		guard: guard,
		clock: clock,
		log:   log,
	}
}

// add registers a sweep under name at spec. The tick is identified by the
// minute it fires in, so replicas whose clocks differ by seconds agree.
func (s *scheduler) add(ctx context.Context, name, spec string, sweep func(ctx context.Context, now time.Time) error) error {
	_, err := s.cron.AddFunc(spec, func() {
		now := s.clock.Now()
		tick := now.Truncate(time.Minute)
		first, err := s.guard.First(ctx, fmt.Sprintf("cron:%s:%d", name, tick.Unix()), 24*time.Hour)
		if err != nil {
			s.log.ErrorContext(ctx, "cron guard", "schedule", name, "err", err)
			return
		}
		if !first {
			return // another replica has this tick
		}
		if err := sweep(ctx, now); err != nil {
			s.log.ErrorContext(ctx, "cron sweep failed", "schedule", name, "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("schedule %s %q: %w", name, spec, err)
	}
	return nil
}

func (s *scheduler) start() { s.cron.Start() }

// stop waits for running sweeps.
func (s *scheduler) stop() { <-s.cron.Stop().Done() }

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
