package telegram_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// bundle is what most tests need: a fake Telegram and a client on it.
type bundle struct {
	srv *telegramtest.Server
	api *telegram.API
	log *slog.Logger
}

func setup(t *testing.T) bundle {
	t.Helper()
	srv := telegramtest.NewServer(t)
	api, err := telegram.NewAPI(srv.Token(), srv.Endpoint(), nil)
	require.NoError(t, err)
	return bundle{srv: srv, api: api, log: testLogger(t)}
}

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

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
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

func itoa(n int) string { return strconv.Itoa(n) }

// customersOnly is a Router that gives every update to h, as the customers'
// dispatcher: the webhook's and the poller's own tests need no other
// destination.
func customersOnly(t testing.TB, h bot.Handler) *telegram.Router {
	t.Helper()
	r, err := telegram.NewRouter(telegram.RouterConfig{Customers: h})
	require.NoError(t, err)
	return r
}
