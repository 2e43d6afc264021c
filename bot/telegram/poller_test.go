package telegram_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

// runPoller starts a Poller on b's server and returns a function that stops
// it and returns Run's result.
func runPoller(t *testing.T, b bundle, h bot.Handler, clock *fakeClock) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := telegram.NewPoller(b.api, customersOnly(t, h), telegram.PollerOptions{Timeout: 1, Sleep: clock.Sleep, Logger: b.log})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var stopped bool
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("poller did not stop")
			}
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitHandled waits until h saw n deliveries.
func waitHandled(t *testing.T, h *recorder, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(h.IDs()) >= n }, 10*time.Second, 5*time.Millisecond)
}

func TestPollerHandlesInOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := &recorder{}
	b.srv.PushUpdate(telegramtest.Text(7, 7, "/start s-google__m-cpc"))
	b.srv.PushUpdate(telegramtest.Callback(7, 7, 2, "need:buy"))
	stop := runPoller(t, b, h, newFakeClock())

	waitHandled(t, h, 2)
	// Pushed while the poller waits: the long poll wakes up for it.
	b.srv.PushUpdate(telegramtest.Contact(7, 7, 7, "+79990001122"))
	waitHandled(t, h, 3)
	require.NoError(t, stop())

	require.Equal(t, []int64{1, 2, 3}, h.IDs())
	require.Equal(t, bot.InputCommand, h.updates[0].Kind)
	require.Equal(t, bot.InputButton, h.updates[1].Kind)
	require.Equal(t, bot.InputContact, h.updates[2].Kind)
	require.Zero(t, b.srv.Pending(), "handled updates are confirmed before Run returns")
	require.JSONEq(t, `["message","edited_message","callback_query","my_chat_member"]`, b.srv.PollAllowed())
}

func TestPollerRetriesFailedUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := &recorder{err: func(u bot.Update, attempt int) error {
		if u.ID == 2 && attempt < 3 {
			return errors.New("redis: connection refused")
		}
		return nil
	}}
	clock := newFakeClock()
	for _, text := range []string{"one", "two", "three"} {
		b.srv.PushUpdate(telegramtest.Text(7, 7, text))
	}
	stop := runPoller(t, b, h, clock)

	waitHandled(t, h, 5)
	require.NoError(t, stop())
	require.Equal(t, []int64{1, 2, 2, 2, 3}, h.IDs(), "nothing skipped, nothing reordered")
	require.Equal(t, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, clock.Sleeps())
	require.Zero(t, b.srv.Pending())
}

func TestPollerSkipsInvalidUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := &recorder{err: func(u bot.Update, _ int) error {
		if u.ID == 1 {
			return crm.Errorf(crm.EINVALID, "unknown button %q", u.Button)
		}
		return nil
	}}
	clock := newFakeClock()
	b.srv.PushUpdate(telegramtest.Callback(7, 7, 2, "no-such-button"))
	b.srv.PushUpdate(telegramtest.Text(7, 7, "hello"))
	stop := runPoller(t, b, h, clock)

	waitHandled(t, h, 2)
	require.NoError(t, stop())
	require.Equal(t, []int64{1, 2}, h.IDs())
	require.Empty(t, clock.Sleeps())
}

func TestPollerSurvivesPanicsAndIgnoredUpdates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := &recorder{err: func(u bot.Update, attempt int) error {
		if attempt == 1 && u.ID == 2 {
			panic("boom")
		}
		return nil
	}}
	edited := telegramtest.Text(7, 7, "edited")
	edited.EditedMessage, edited.Message = edited.Message, nil
	b.srv.PushUpdate(edited)
	b.srv.PushUpdate(telegramtest.Text(7, 7, "hi"))
	stop := runPoller(t, b, h, newFakeClock())

	waitHandled(t, h, 2)
	require.NoError(t, stop())
	require.Equal(t, []int64{2, 2}, h.IDs())
}

func TestPollerDeletesWebhookAndRidesOutFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	require.NoError(t, telegram.SetWebhook(ctx, b.api, "https://example.com/hook", secret, 0))
	b.srv.Fail("deleteWebhook", 1, 502, 0)
	b.srv.Fail("getUpdates", 1, 429, 3)
	b.srv.PushUpdate(telegramtest.Text(7, 7, "hi"))
	h := &recorder{}
	clock := newFakeClock()
	stop := runPoller(t, b, h, clock)

	waitHandled(t, h, 1)
	require.NoError(t, stop())
	url, _ := b.srv.Webhook()
	require.Empty(t, url)
	require.Equal(t, []time.Duration{200 * time.Millisecond, 3 * time.Second}, clock.Sleeps())
}

func TestPollerStopsOnCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := &recorder{}
	stop := runPoller(t, b, h, newFakeClock())
	_, err := b.srv.WaitCalls(context.Background(), "deleteWebhook", 1)
	require.NoError(t, err)

	began := time.Now()
	require.NoError(t, stop())
	require.Less(t, time.Since(began), 2*time.Second)
	require.Empty(t, h.IDs())
}

// TestPollerFinishesUpdateInHand cancels while the handler is busy: the
// handler's context is not cancelled, its update is confirmed, and the
// update behind it stays with Telegram for the next run.
func TestPollerFinishesUpdateInHand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var handlerErr error
	h := bot.HandlerFunc(func(ctx context.Context, u bot.Update) error {
		if u.ID == 1 {
			close(entered)
			<-release
			handlerErr = ctx.Err()
		}
		return nil
	})
	b.srv.PushUpdate(telegramtest.Text(7, 7, "first"))
	b.srv.PushUpdate(telegramtest.Text(7, 7, "second"))
	ctx, cancel := context.WithCancel(context.Background())
	p := telegram.NewPoller(b.api, customersOnly(t, h), telegram.PollerOptions{Timeout: 1, Logger: b.log})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	<-entered
	cancel()
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, handlerErr)
	require.Equal(t, 1, b.srv.Pending(), "the second update waits for the next run")
}

func TestPollerGivesUpOnBadToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.srv.Fail("deleteWebhook", 1, 401, 0)
	p := telegram.NewPoller(b.api, customersOnly(t, &recorder{}), telegram.PollerOptions{Logger: b.log})
	err := p.Run(context.Background())
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 401, ae.Code)
}

// TestPollerAttemptHasADeadline: a handler that hangs (a database that
// swallows its queries, here one that waits for its context) is cut off
// at HandleTimeout; the attempt fails and is retried, and the poll loop
// goes on to the next update.
func TestPollerAttemptHasADeadline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var attempts atomic.Int32
	handled := make(chan int64, 4)
	h := bot.HandlerFunc(func(ctx context.Context, u bot.Update) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		if u.ID == 1 && attempts.Add(1) == 1 {
			<-ctx.Done() // hangs until the deadline
			return ctx.Err()
		}
		handled <- u.ID
		return nil
	})
	b.srv.PushUpdate(telegramtest.Text(7, 7, "first"))
	b.srv.PushUpdate(telegramtest.Text(7, 7, "second"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	p := telegram.NewPoller(b.api, customersOnly(t, h), telegram.PollerOptions{Timeout: 1, Sleep: clock.Sleep, Logger: b.log,
		HandleTimeout: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for _, want := range []int64{1, 2} {
		select {
		case id := <-handled:
			require.Equal(t, want, id)
		case <-time.After(5 * time.Second):
			t.Fatalf("update %d not handled: the hung attempt was not cut off", want)
		}
	}
	require.Equal(t, int32(2), attempts.Load())
	cancel()
	require.NoError(t, <-done)
}
