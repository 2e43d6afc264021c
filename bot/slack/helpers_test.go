package slack_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// testLogger logs through t, so output shows only for failing tests.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fakeClock is a clock that moves only when a recorded sleep moves it, so
// rate limits are computed, never slept.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// newFakeClock starts at 14:17 Moscow time on a Monday, far from the wall
// clock on purpose: signature checks must use the injected clock.
func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 11, 17, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// reservation is one call to a recordingLimiter.
type reservation struct {
	Key       string
	PerSecond float64
	Burst     int
}

// recordingLimiter records every reservation and delegates to a real
// limiter (or fails, when err is set).
type recordingLimiter struct {
	next bot.Limiter
	err  error

	mu  sync.Mutex
	got []reservation
}

func (l *recordingLimiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	l.mu.Lock()
	l.got = append(l.got, reservation{key, perSecond, burst})
	l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	return l.next.Reserve(ctx, key, perSecond, burst)
}

func (l *recordingLimiter) Reservations() []reservation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]reservation(nil), l.got...)
}

// fakeDesk is a crm.SalesDesk that records actions and answers err.
type fakeDesk struct {
	managers map[string]crm.Manager
	reasons  []string

	mu   sync.Mutex
	acts []crm.Action
	err  error
}

var (
	anna  = crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead, SlackID: "U0ANNA"}
	boris = crm.Manager{ID: 2, Name: "Boris", Role: crm.RoleRep, SlackID: "U0BORIS"}
)

func newFakeDesk() *fakeDesk {
	return &fakeDesk{
		managers: map[string]crm.Manager{anna.SlackID: anna, boris.SlackID: boris},
		reasons:  []string{"Too expensive", "Chose a competitor", "No answer"},
	}
}

func (d *fakeDesk) Act(_ context.Context, a crm.Action) (*crm.LeadCard, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	d.acts = append(d.acts, a)
	return &crm.LeadCard{Lead: crm.Lead{ID: a.LeadID}}, nil
}

func (d *fakeDesk) ManagerBySlack(id string) (crm.Manager, bool) {
	m, ok := d.managers[id]
	return m, ok
}

func (d *fakeDesk) ManagerByTelegram(id int64) (crm.Manager, bool) {
	for _, m := range d.managers {
		if m.TelegramID == id {
			return m, true
		}
	}
	return crm.Manager{}, false
}

func (d *fakeDesk) LostReasons() []string { return d.reasons }

func (d *fakeDesk) Acts() []crm.Action {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]crm.Action(nil), d.acts...)
}

func (d *fakeDesk) SetErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

// memOnce is the Redis SET NX of production, in memory.
type memOnce struct {
	mu   sync.Mutex
	seen map[string]time.Duration
	err  error
}

func newMemOnce() *memOnce { return &memOnce{seen: map[string]time.Duration{}} }

func (o *memOnce) First(_ context.Context, key string, ttl time.Duration) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return false, o.err
	}
	if _, ok := o.seen[key]; ok {
		return false, nil
	}
	o.seen[key] = ttl
	return true, nil
}

var errRedisDown = errors.New("redis: connection refused")
