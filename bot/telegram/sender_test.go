package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/crm"
)

// newSender returns a Sender on b's server whose waits go to a fake clock.
func newSender(t *testing.T, b bundle, opts telegram.SenderOptions) (*telegram.Sender, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	opts.Sleep = clock.Sleep
	opts.Logger = b.log
	return telegram.NewSender(b.api, bot.NewLocalLimiter(clock.Now), opts), clock
}

// markup decodes a recorded reply_markup for comparison as data.
func markup(t *testing.T, raw string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
	return v
}

func TestSenderRendersMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	tests := []struct {
		name   string
		msg    bot.Message
		markup string // "" means no reply_markup at all
	}{
		{
			name: "plain text",
			msg:  bot.Message{ChatID: 7, Text: "Привет! 👋"},
		},
		{
			name: "inline buttons, callback and link, two rows",
			msg: bot.Message{ChatID: 7, Text: "What brings you here?", Buttons: [][]bot.Button{
				{{Text: "Buy", Data: "need:buy"}, {Text: "Pricing", Data: "need:price"}},
				{{Text: "Site", URL: "https://example.com/pricing"}},
			}},
			markup: `{"inline_keyboard":[[{"text":"Buy","callback_data":"need:buy"},{"text":"Pricing","callback_data":"need:price"}],[{"text":"Site","url":"https://example.com/pricing"}]]}`,
		},
		{
			name:   "contact request",
			msg:    bot.Message{ChatID: 7, Text: "Your phone, please", RequestContact: "Share my phone"},
			markup: `{"keyboard":[[{"text":"Share my phone","request_contact":true}]],"resize_keyboard":true,"one_time_keyboard":true}`,
		},
		{
			name:   "remove keyboard",
			msg:    bot.Message{ChatID: 7, Text: "Thanks!", RemoveKeyboard: true},
			markup: `{"remove_keyboard":true}`,
		},
		{
			name: "inline buttons win over remove keyboard",
			msg: bot.Message{ChatID: 7, Text: "Next", RemoveKeyboard: true,
				Buttons: [][]bot.Button{{{Text: "OK", Data: "ok"}}}},
			markup: `{"inline_keyboard":[[{"text":"OK","callback_data":"ok"}]]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			s, _ := newSender(t, b, telegram.SenderOptions{})

			id, err := s.Send(ctx, tt.msg)
			require.NoError(t, err)
			require.Positive(t, id)

			sent := b.srv.Sent(tt.msg.ChatID)
			require.Len(t, sent, 1)
			require.Equal(t, "sendMessage", sent[0].Method)
			require.Equal(t, tt.msg.Text, sent[0].Text)
			require.Empty(t, sent[0].Params["parse_mode"], "text goes out plain")
			if tt.markup == "" {
				require.Empty(t, sent[0].ReplyMarkup)
			} else {
				require.Equal(t, markup(t, tt.markup), markup(t, sent[0].ReplyMarkup))
			}
		})
	}
}

func TestSenderEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})

	id, err := s.Send(ctx, bot.Message{ChatID: 7, Text: "Pick one", Buttons: [][]bot.Button{{{Text: "A", Data: "a"}}}})
	require.NoError(t, err)

	edited, err := s.Send(ctx, bot.Message{ChatID: 7, EditMessageID: id, Text: "Picked A",
		Buttons: [][]bot.Button{{{Text: "Undo", Data: "undo"}}}})
	require.NoError(t, err)
	require.Equal(t, id, edited)

	// An edit without buttons drops them, as an answered question should.
	_, err = s.Send(ctx, bot.Message{ChatID: 7, EditMessageID: id, Text: "Done"})
	require.NoError(t, err)

	// Repeating an edit is not an error: the message already says it.
	again, err := s.Send(ctx, bot.Message{ChatID: 7, EditMessageID: id, Text: "Done"})
	require.NoError(t, err)
	require.Equal(t, id, again)
	require.Equal(t, 1, b.srv.Failed("editMessageText"))

	sent := b.srv.Sent(7)
	require.Len(t, sent, 3)
	require.Equal(t, "editMessageText", sent[1].Method)
	require.Equal(t, "Picked A", sent[1].Text)
	require.Equal(t, itoa(id), sent[1].Params["message_id"])
	require.Equal(t, markup(t, `{"inline_keyboard":[[{"text":"Undo","callback_data":"undo"}]]}`), markup(t, sent[1].ReplyMarkup))
	require.Equal(t, "editMessageText", sent[2].Method)
	require.Empty(t, sent[2].ReplyMarkup)
}

func TestSenderRefusesWhatTelegramCannotRender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})

	for name, m := range map[string]bot.Message{
		"no chat":                   {Text: "hi"},
		"no text":                   {ChatID: 7, Text: "  "},
		"buttons and contact":       {ChatID: 7, Text: "hi", RequestContact: "Share", Buttons: [][]bot.Button{{{Text: "A", Data: "a"}}}},
		"edit with contact request": {ChatID: 7, Text: "hi", RequestContact: "Share", EditMessageID: 3},
		"button without action":     {ChatID: 7, Text: "hi", Buttons: [][]bot.Button{{{Text: "A"}}}},
		"button with both":          {ChatID: 7, Text: "hi", Buttons: [][]bot.Button{{{Text: "A", Data: "a", URL: "https://x"}}}},
		"button without text":       {ChatID: 7, Text: "hi", Buttons: [][]bot.Button{{{Data: "a"}}}},
		"callback data over 64B":    {ChatID: 7, Text: "hi", Buttons: [][]bot.Button{{{Text: "A", Data: strings.Repeat("д", 33)}}}},
	} {
		_, err := s.Send(ctx, m)
		require.Error(t, err, name)
		require.Equal(t, crm.EINVALID, crm.ErrorCode(err), name)
	}
	require.Empty(t, b.srv.Calls()[1:], "nothing but getMe reached Telegram")
}

func TestSenderWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{})
	b.srv.Fail("sendMessage", 1, 429, 2)

	id, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	require.NoError(t, err)
	require.Positive(t, id)
	require.Equal(t, []time.Duration{2 * time.Second}, clock.Sleeps())
	require.Len(t, b.srv.Sent(7), 1, "delivered exactly once")
	require.Equal(t, 1, b.srv.Failed("sendMessage"))
}

func TestSenderGivesUpOnLongFloodBan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{MaxRetryAfter: 10 * time.Second})
	b.srv.Fail("sendMessage", 1, 429, 600)

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 429, ae.Code)
	require.Equal(t, 600, ae.RetryAfter)
	require.Empty(t, clock.Sleeps())
	require.Empty(t, b.srv.Sent(7))
}

func TestSenderBacksOffOn5xx(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{})
	b.srv.Fail("sendMessage", 2, 502, 0)

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	require.NoError(t, err)
	require.Equal(t, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, clock.Sleeps())
	require.Len(t, b.srv.Sent(7), 1, "delivered exactly once")
	require.Equal(t, 2, b.srv.Failed("sendMessage"))
}

func TestSenderStopsAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{MaxAttempts: 3})
	b.srv.Fail("sendMessage", 10, 500, 0)

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 500, ae.Code)
	require.Equal(t, 3, b.srv.Failed("sendMessage"))
	require.Len(t, clock.Sleeps(), 2)
}

func TestSenderDoesNotRetryRefusals(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 403} {
		b := setup(t)
		s, clock := newSender(t, b, telegram.SenderOptions{})
		b.srv.Fail("sendMessage", 1, code, 0)

		_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
		var ae *telegram.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, code, ae.Code)
		require.Equal(t, code == 403, ae.Blocked())
		require.NotEmpty(t, ae.Description)
		require.Equal(t, 1, b.srv.Failed("sendMessage"), "no retry")
		require.Empty(t, clock.Sleeps())
	}
}

func TestSenderReportsBlockedCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	b.srv.Block(7)

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "Rate us 0-10"})
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.Blocked())
	require.Contains(t, err.Error(), "blocked")
}

func TestSenderKeepsChatRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{GlobalBurst: 30})

	// A private chat: a burst of 3, then one a second.
	for range 5 {
		_, err := s.Send(ctx, bot.Message{ChatID: 7, Text: "hi"})
		require.NoError(t, err)
	}
	require.Equal(t, []time.Duration{time.Second, time.Second}, clock.Sleeps())

	// A group: a burst of 3, then 20 a minute.
	for range 4 {
		_, err := s.Send(ctx, bot.Message{ChatID: -1001, Text: "lead"})
		require.NoError(t, err)
	}
	require.Equal(t, []time.Duration{time.Second, time.Second, 3 * time.Second}, clock.Sleeps())
	require.Len(t, b.srv.Sent(7), 5)
	require.Len(t, b.srv.Sent(-1001), 4)
}

func TestSenderKeepsGlobalRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{GlobalPerSecond: 2, GlobalBurst: 2})

	// Different chats: only the bot-wide bucket (burst 2, 2/s) binds.
	for chat := range int64(4) {
		_, err := s.Send(ctx, bot.Message{ChatID: 100 + chat, Text: "survey"})
		require.NoError(t, err)
	}
	require.Equal(t, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, clock.Sleeps())
}

// TestSenderPacesEvenlyByDefault: without a burst, a broadcast leaves one
// message every 1/rate, so no one-second window ever holds more than the
// rate.
func TestSenderPacesEvenlyByDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{GlobalPerSecond: 4})
	for chat := range int64(3) {
		_, err := s.Send(ctx, bot.Message{ChatID: 200 + chat, Text: "survey"})
		require.NoError(t, err)
	}
	require.Equal(t, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}, clock.Sleeps())
}

func TestSenderAnswersCallbacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})

	require.NoError(t, s.AnswerCallback(ctx, bot.CallbackAnswer{CallbackID: "cb-1", Text: "Claimed"}))
	calls, err := b.srv.WaitCalls(ctx, "answerCallbackQuery", 1)
	require.NoError(t, err)
	require.Equal(t, "cb-1", calls[0].Params["callback_query_id"])
	require.Equal(t, "Claimed", calls[0].Text)

	b.srv.Fail("answerCallbackQuery", 1, 400, 0)
	err = s.AnswerCallback(ctx, bot.CallbackAnswer{CallbackID: "cb-2"})
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 400, ae.Code)

	require.Equal(t, crm.EINVALID, crm.ErrorCode(s.AnswerCallback(ctx, bot.CallbackAnswer{})))
}

func TestSenderStopsWithContext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := telegram.NewSender(b.api, nil, telegram.SenderOptions{
		Logger: b.log,
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel() // the job is being shut down while it waits
			return ctx.Err()
		},
	})
	b.srv.Fail("sendMessage", 1, 502, 0)

	_, err := s.Send(ctx, bot.Message{ChatID: 7, Text: "hello"})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, b.srv.Sent(7))
}

func TestSenderScrubsTokenFromNetworkErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, clock := newSender(t, b, telegram.SenderOptions{})
	b.srv.Close()

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), b.srv.Token())
	require.NotContains(t, err.Error(), "TEST")
	require.Contains(t, err.Error(), "<token>")
	var ae *telegram.APIError
	require.False(t, errors.As(err, &ae))
	require.Len(t, clock.Sleeps(), 4, "network errors are retried up to MaxAttempts")
}

// TestSenderReplyReservesOnce: a button press answered with an edit and a
// question takes every slot it needs in one reservation (one round trip
// to a shared limiter), and still keeps the chat's pace: here one message
// a second to the chat, so the question waits a second after the edit.
func TestSenderReplyReservesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	clock := newFakeClock()
	limiter := &countingLimiter{LocalLimiter: bot.NewLocalLimiter(clock.Now)}
	s := telegram.NewSender(b.api, limiter, telegram.SenderOptions{GlobalPerSecond: 1000, GlobalBurst: 10, ChatPerSecond: 1, ChatBurst: 1, Sleep: clock.Sleep, Logger: b.log})
	sent, err := s.Reply(ctx, bot.Reply{ChatID: 77, Callback: &bot.CallbackAnswer{CallbackID: "cb-1"},
		Messages: []bot.Message{{ChatID: 77, Text: "Need: Buy", EditMessageID: 5}, {ChatID: 77, Text: "What budget?"}}})
	require.NoError(t, err)
	require.Equal(t, 2, sent)
	require.Equal(t, 1, limiter.batches(), "one reservation for the whole reply")
	require.Zero(t, limiter.singles())
	require.Equal(t, []time.Duration{time.Second}, clock.Sleeps(), "the chat's pace is kept")
	require.Len(t, b.srv.Sent(77), 2)
	_, err = b.srv.WaitCalls(ctx, "answerCallbackQuery", 1)
	require.NoError(t, err)

	// A refused message stops the rest; a refused callback answer does not.
	b.srv.Fail("answerCallbackQuery", 1, 400, 0)
	b.srv.Fail("sendMessage", 1, 400, 0)
	sent, err = s.Reply(ctx, bot.Reply{ChatID: 78, Callback: &bot.CallbackAnswer{CallbackID: "cb-2"},
		Messages: []bot.Message{{ChatID: 78, Text: "one"}, {ChatID: 78, Text: "two"}}})
	require.Error(t, err)
	require.Zero(t, sent)
	require.Empty(t, b.srv.Sent(78))
}

// countingLimiter counts reservations by kind.
type countingLimiter struct {
	*bot.LocalLimiter
	mu            sync.Mutex
	batch, single int
}

func (l *countingLimiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	l.mu.Lock()
	l.single++
	l.mu.Unlock()
	return l.LocalLimiter.Reserve(ctx, key, perSecond, burst)
}

func (l *countingLimiter) ReserveAll(ctx context.Context, buckets []bot.Bucket) ([][]time.Duration, error) {
	l.mu.Lock()
	l.batch++
	l.mu.Unlock()
	return l.LocalLimiter.ReserveAll(ctx, buckets)
}

func (l *countingLimiter) batches() int { l.mu.Lock(); defer l.mu.Unlock(); return l.batch }
func (l *countingLimiter) singles() int { l.mu.Lock(); defer l.mu.Unlock(); return l.single }

// TestSenderHoldsItsWindowPlaceUntilTheCallIsDone: every call, refused or
// not, is admitted to the shared window right before it goes and marked
// done only after the server has it, so the window counts each call over
// every moment the server might count it.
func TestSenderHoldsItsWindowPlaceUntilTheCallIsDone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := newFakeClock()
	w := &windowLimiter{LocalLimiter: bot.NewLocalLimiter(clock.Now), server: func() int { return len(b.srv.Calls()) + b.srv.Failed("sendMessage") }}
	s := telegram.NewSender(b.api, w, telegram.SenderOptions{Sleep: clock.Sleep, Logger: b.log})
	b.srv.Fail("sendMessage", 1, 429, 1)

	_, err := s.Send(context.Background(), bot.Message{ChatID: 7, Text: "hello"})
	require.NoError(t, err)
	require.Len(t, b.srv.Sent(7), 1)

	w.mu.Lock()
	defer w.mu.Unlock()
	require.Equal(t, []string{"t1", "t2"}, w.admitted, "the refused call and its retry each took a place")
	require.Equal(t, []string{"t1", "t2"}, w.done, "and each gave it back once")
	for i, calls := range w.callsAtDone {
		require.GreaterOrEqual(t, calls, w.callsAtAdmit[i]+1, "call %d reached the server before it was marked done", i)
	}
}

// windowLimiter is a bot.WindowLimiter that hands out numbered tickets and
// records how many calls the server had seen at each admission and Done.
type windowLimiter struct {
	*bot.LocalLimiter
	server                    func() int
	mu                        sync.Mutex
	admitted, done            []string
	callsAtAdmit, callsAtDone []int
}

func (l *windowLimiter) Admit(ctx context.Context, key string, limit int, window time.Duration) (string, time.Duration, error) {
	calls := l.server()
	l.mu.Lock()
	defer l.mu.Unlock()
	ticket := "t" + itoa(len(l.admitted)+1)
	l.admitted = append(l.admitted, ticket)
	l.callsAtAdmit = append(l.callsAtAdmit, calls)
	return ticket, 0, nil
}

func (l *windowLimiter) Done(ctx context.Context, key, ticket string) error {
	calls := l.server()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = append(l.done, ticket)
	l.callsAtDone = append(l.callsAtDone, calls)
	return nil
}

// TestSenderRepliesAtSlotsReservedElsewhere: PlanReply names the buckets a
// reply needs; ReplyReserved sends at the waits reserved for them
// elsewhere (the dispatcher's commit), reserving nothing itself, and with
// nil waits reserves as Reply does.
func TestSenderRepliesAtSlotsReservedElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	clock := newFakeClock()
	limiter := &countingLimiter{LocalLimiter: bot.NewLocalLimiter(clock.Now)}
	s := telegram.NewSender(b.api, limiter, telegram.SenderOptions{GlobalPerSecond: 30, GlobalBurst: 1, ChatPerSecond: 1, ChatBurst: 1, Sleep: clock.Sleep, Logger: b.log})

	r, buckets := s.PlanReply(ctx, bot.Reply{ChatID: 80, Callback: &bot.CallbackAnswer{CallbackID: "cb-80"},
		Messages: []bot.Message{{ChatID: 80, Text: "Need: Buy", EditMessageID: 5}, {ChatID: 80, Text: "What budget?"}}})
	require.NotNil(t, r.Callback, "outside a webhook request the callback answer stays a call")
	require.Len(t, buckets, 2)
	require.Equal(t, 3, buckets[0].N, "the bot's bucket: the callback answer and both messages")
	require.Equal(t, float64(30), buckets[0].PerSecond)
	require.Equal(t, 2, buckets[1].N, "the chat's bucket: both messages")
	require.Equal(t, float64(1), buckets[1].PerSecond)

	sent, err := s.ReplyReserved(ctx, r, [][]time.Duration{
		{0, 40 * time.Millisecond, 70 * time.Millisecond},
		{0, time.Second},
	})
	require.NoError(t, err)
	require.Equal(t, 2, sent)
	require.Equal(t, []time.Duration{40 * time.Millisecond, 960 * time.Millisecond}, clock.Sleeps(),
		"each call at its slot: the edit at the bot's 40ms, the question at the chat's second (less what was slept)")
	require.Zero(t, limiter.batches()+limiter.singles(), "nothing reserved by the sender")
	require.Len(t, b.srv.Sent(80), 2)

	// Waits of the wrong shape, or none: the sender reserves itself.
	sent, err = s.ReplyReserved(ctx, bot.Reply{ChatID: 81, Messages: []bot.Message{{ChatID: 81, Text: "hi"}}}, nil)
	require.NoError(t, err)
	require.Equal(t, 1, sent)
	require.Equal(t, 1, limiter.batches()+limiter.singles())
}
