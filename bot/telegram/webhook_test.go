package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

const secret = "s3cret-Token_1"

// recorder is a bot.Handler that remembers what it was given and answers
// with err.
type recorder struct {
	mu      sync.Mutex
	updates []bot.Update
	err     func(u bot.Update, attempt int) error
	tries   map[int64]int
}

func (r *recorder) Handle(_ context.Context, u bot.Update) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
	if r.tries == nil {
		r.tries = make(map[int64]int)
	}
	r.tries[u.ID]++
	if r.err != nil {
		return r.err(u, r.tries[u.ID])
	}
	return nil
}

func (r *recorder) IDs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int64, 0, len(r.updates))
	for _, u := range r.updates {
		ids = append(ids, u.ID)
	}
	return ids
}

type observation struct {
	kind, outcome string
}

func post(t *testing.T, h http.Handler, method, secretHeader string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/telegram/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secretHeader != "" {
		req.Header.Set(telegram.SecretHeader, secretHeader)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func updateJSON(t *testing.T, u tgbotapi.Update) []byte {
	t.Helper()
	b, err := json.Marshal(u)
	require.NoError(t, err)
	return b
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	start := updateJSON(t, withID(telegramtest.Text(7, 7, "/start s-google"), 100))
	edited := telegramtest.Text(7, 7, "edit")
	edited.EditedMessage, edited.Message = edited.Message, nil

	tests := []struct {
		name    string
		method  string
		secret  string
		body    []byte
		handler func(bot.Update, int) error
		status  int
		handled bool
		observe observation
	}{
		{name: "right secret", method: "POST", secret: secret, body: start, status: 200, handled: true, observe: observation{"command", "ok"}},
		{name: "missing secret", method: "POST", body: start, status: 401, observe: observation{"unknown", "unauthorized"}},
		{name: "wrong secret", method: "POST", secret: "s3cret-Token_2", body: start, status: 401, observe: observation{"unknown", "unauthorized"}},
		{name: "secret prefix", method: "POST", secret: secret[:5], body: start, status: 401, observe: observation{"unknown", "unauthorized"}},
		{name: "GET", method: "GET", secret: secret, status: 405, observe: observation{"unknown", "method_not_allowed"}},
		{name: "malformed JSON", method: "POST", secret: secret, body: []byte(`{"update_id": 1, "message": {`), status: 400, observe: observation{"invalid", "bad_request"}},
		{name: "not an update", method: "POST", secret: secret, body: []byte(`{}`), status: 400, observe: observation{"invalid", "bad_request"}},
		{name: "oversized", method: "POST", secret: secret, body: append(append([]byte(`{"update_id":1,"message":{"text":"`), bytes.Repeat([]byte("a"), 2<<10)...), `"}}`...), status: 413, observe: observation{"invalid", "too_large"}},
		{name: "ignored update", method: "POST", secret: secret, body: updateJSON(t, withID(edited, 101)), status: 200, observe: observation{"ignored", "ignored"}},
		{
			name: "handler error", method: "POST", secret: secret, body: start, status: 500, handled: true, observe: observation{"command", "error"},
			handler: func(bot.Update, int) error { return errors.New("postgres is down") },
		},
		{
			name: "handler panic", method: "POST", secret: secret, body: start, status: 500, handled: true, observe: observation{"command", "panic"},
			handler: func(bot.Update, int) error { panic("nil map") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &recorder{err: tt.handler}
			var seen []observation
			wh := telegram.NewWebhook(customersOnly(t, h), secret, telegram.WebhookOptions{
				MaxBody: 1 << 10,
				Logger:  testLogger(t),
				Observe: func(kind, outcome string, d time.Duration) {
					require.GreaterOrEqual(t, d, time.Duration(0))
					seen = append(seen, observation{kind, outcome})
				},
			})
			w := post(t, wh, tt.method, tt.secret, tt.body)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			require.Equal(t, []observation{tt.observe}, seen)
			if tt.handled {
				require.Equal(t, []int64{100}, h.IDs())
				require.Equal(t, "start", h.updates[0].Command)
				require.Equal(t, "s-google", h.updates[0].Text)
			} else {
				require.Empty(t, h.IDs())
			}
			if tt.status == 405 {
				require.Equal(t, "POST", w.Header().Get("Allow"))
			}
			require.NotContains(t, w.Body.String(), "postgres", "internals stay inside")
		})
	}
}

func TestWebhookWithoutSecretRefusesAll(t *testing.T) {
	t.Parallel()
	h := &recorder{}
	wh := telegram.NewWebhook(customersOnly(t, h), "", telegram.WebhookOptions{})
	body := updateJSON(t, withID(telegramtest.Text(7, 7, "hi"), 1))
	require.Equal(t, 401, post(t, wh, "POST", "", body).Code)
	require.Equal(t, 401, post(t, wh, "POST", "anything", body).Code)
	require.Empty(t, h.IDs())
}

func TestWebhookDefaultBodyLimit(t *testing.T) {
	t.Parallel()
	h := &recorder{}
	wh := telegram.NewWebhook(customersOnly(t, h), secret, telegram.WebhookOptions{})
	big := telegramtest.Text(7, 7, strings.Repeat("я", 300_000)) // ~600 KB of text
	require.Equal(t, 200, post(t, wh, "POST", secret, updateJSON(t, withID(big, 1))).Code)
	huge := telegramtest.Text(7, 7, strings.Repeat("я", 600_000))
	require.Equal(t, 413, post(t, wh, "POST", secret, updateJSON(t, withID(huge, 2))).Code)
	require.Equal(t, []int64{1}, h.IDs())
}

// TestWebhookOverHTTP runs the handler behind a real server, as Telegram
// reaches it, and checks SetWebhook registered what the handler checks.
func TestWebhookOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	h := &recorder{}
	srv := httptest.NewServer(telegram.NewWebhook(customersOnly(t, h), secret, telegram.WebhookOptions{Logger: b.log}))
	t.Cleanup(srv.Close)

	require.NoError(t, telegram.SetWebhook(ctx, b.api, srv.URL+"/telegram/webhook", secret, 10))
	url, got := b.srv.Webhook()
	require.Equal(t, srv.URL+"/telegram/webhook", url)
	require.Equal(t, secret, got)
	calls, err := b.srv.WaitCalls(ctx, "setWebhook", 1)
	require.NoError(t, err)
	require.JSONEq(t, `["message","edited_message","callback_query","my_chat_member"]`, calls[0].Params["allowed_updates"])
	require.Equal(t, "10", calls[0].Params["max_connections"])

	req, err := http.NewRequest("POST", url, bytes.NewReader(updateJSON(t, withID(telegramtest.Callback(7, 7, 3, "need:buy"), 5))))
	require.NoError(t, err)
	req.Header.Set(telegram.SecretHeader, got)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, []int64{5}, h.IDs())
	require.Equal(t, "need:buy", h.updates[0].Button)

	require.NoError(t, telegram.DeleteWebhook(ctx, b.api))
	url, _ = b.srv.Webhook()
	require.Empty(t, url)
}

func TestSetWebhookChecksSecret(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, bad := range []string{"", "has space", "ключ", strings.Repeat("a", 257)} {
		require.Error(t, telegram.SetWebhook(context.Background(), b.api, "https://example.com/hook", bad, 0), bad)
	}
	require.Empty(t, b.srv.Calls()[1:], "nothing reached Telegram")

	b.srv.Fail("setWebhook", 1, 400, 0)
	err := telegram.SetWebhook(context.Background(), b.api, "https://example.com/hook", secret, 0)
	var ae *telegram.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 400, ae.Code)
}

// replyHandler replies to a button press through the Sender, as the
// dispatcher does, inside the webhook request.
type replyHandler struct {
	s   *telegram.Sender
	err error
}

func (h replyHandler) Handle(ctx context.Context, u bot.Update) error {
	if _, err := h.s.Reply(ctx, bot.Reply{ChatID: u.ChatID, Slot: u.Slot,
		Callback: &bot.CallbackAnswer{CallbackID: u.CallbackID, Text: "Noted"},
		Messages: []bot.Message{{ChatID: u.ChatID, Text: "What budget?"}}}); err != nil {
		return err
	}
	return h.err
}

// TestWebhookAnswersTheButtonInItsResponse: inside a webhook request the
// callback answer is not a call of its own but the 200's body, which
// Telegram carries out; the next question is still a call. Long polling
// and errors keep the call (there is no response to ride on, or Telegram
// would ignore it).
func TestWebhookAnswersTheButtonInItsResponse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	h := telegram.NewWebhook(customersOnly(t, replyHandler{s: s}), secret, telegram.WebhookOptions{})

	press := withID(telegramtest.Callback(7, 7, 41, "need:buy"), 300)
	w := post(t, h, "POST", secret, updateJSON(t, press))
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var answer map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer))
	require.Equal(t, map[string]string{"method": "answerCallbackQuery",
		"callback_query_id": press.CallbackQuery.ID, "text": "Noted"}, answer)
	require.Len(t, b.srv.Sent(7), 1, "the question went as a call")
	for _, c := range b.srv.Calls() {
		require.NotEqual(t, "answerCallbackQuery", c.Method, "the press was not answered by a call")
	}
	require.NoError(t, b.srv.WebhookAnswer(w.Body.Bytes()))
	calls, err := b.srv.WaitCalls(t.Context(), "answerCallbackQuery", 1)
	require.NoError(t, err)
	require.Equal(t, press.CallbackQuery.ID, calls[0].Params["callback_query_id"])
	require.Equal(t, "Noted", calls[0].Params["text"])

	// A handler that fails after replying gets a 500 and no body: the
	// press stays unanswered, as with Telegram, which ignores the body of
	// a failed delivery.
	failing := telegram.NewWebhook(customersOnly(t, replyHandler{s: s, err: errors.New("redis is down")}), secret, telegram.WebhookOptions{})
	w = post(t, failing, "POST", secret, updateJSON(t, withID(telegramtest.Callback(8, 8, 42, "need:buy"), 301)))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.NotContains(t, w.Body.String(), "answerCallbackQuery")

	// Outside a webhook request (long polling) it is a call.
	_, err = s.Reply(t.Context(), bot.Reply{ChatID: 9, Callback: &bot.CallbackAnswer{CallbackID: "cb-9"}})
	require.NoError(t, err)
	calls, err = b.srv.WaitCalls(t.Context(), "answerCallbackQuery", 2)
	require.NoError(t, err)
	require.Equal(t, "cb-9", calls[1].Params["callback_query_id"])
}

// textReplyHandler replies to a typed message with two messages, as a flow
// step does ("Thanks" and the next question), with the update's reply
// slot, then makes the calls of after inside the same request.
type textReplyHandler struct {
	s     *telegram.Sender
	after func(ctx context.Context, u bot.Update) error
}

func (h textReplyHandler) Handle(ctx context.Context, u bot.Update) error {
	if _, err := h.s.Reply(ctx, bot.Reply{ChatID: u.ChatID, Slot: u.Slot, Messages: []bot.Message{
		{ChatID: u.ChatID, Text: "Thanks"},
		{ChatID: u.ChatID, Text: "Your phone?", RequestContact: "Share my phone"},
	}}); err != nil {
		return err
	}
	if h.after != nil {
		return h.after(ctx, u)
	}
	return nil
}

// TestWebhookSendsTheLastMessageInItsResponse: a reply to a typed message
// sends its last message as the 200's body, after the calls of the
// messages before it; a later reply with the same slot takes it back and
// sends it first, so the chat's order holds; webhook_replies off makes
// every call a call.
func TestWebhookSendsTheLastMessageInItsResponse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	h := telegram.NewWebhook(customersOnly(t, textReplyHandler{s: s}), secret, telegram.WebhookOptions{})

	w := post(t, h, "POST", secret, updateJSON(t, withID(telegramtest.Text(11, 11, "ivan@example.com"), 400)))
	require.Equal(t, http.StatusOK, w.Code)
	var answer map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer), w.Body.String())
	require.Equal(t, "sendMessage", answer["method"])
	require.EqualValues(t, 11, answer["chat_id"])
	require.Equal(t, "Your phone?", answer["text"])
	sent := b.srv.Sent(11)
	require.Len(t, sent, 1, "only the first message went as a call")
	require.Equal(t, "Thanks", sent[0].Text)

	require.NoError(t, b.srv.WebhookAnswer(w.Body.Bytes()))
	sent = b.srv.Sent(11)
	require.Len(t, sent, 2)
	require.Equal(t, []string{"Thanks", "Your phone?"}, []string{sent[0].Text, sent[1].Text})
	// The keyboard is what the same message sent as a call carries.
	_, err := s.Send(t.Context(), bot.Message{ChatID: 12, Text: "Your phone?", RequestContact: "Share my phone"})
	require.NoError(t, err)
	require.Equal(t, markup(t, b.srv.Sent(12)[0].ReplyMarkup), markup(t, sent[1].ReplyMarkup))

	// A reply after the reply, with the same slot: the held message goes
	// first, as a call, and the response carries nothing.
	notice := textReplyHandler{s: s, after: func(ctx context.Context, u bot.Update) error {
		_, err := s.Reply(ctx, bot.Reply{ChatID: u.ChatID, Slot: u.Slot,
			Messages: []bot.Message{{ChatID: u.ChatID, Text: "A manager will call you"}}})
		return err
	}}
	w = post(t, telegram.NewWebhook(customersOnly(t, notice), secret, telegram.WebhookOptions{}), "POST", secret,
		updateJSON(t, withID(telegramtest.Text(13, 13, "hi"), 401)))
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Body.String())
	var texts []string
	for _, c := range b.srv.Sent(13) {
		texts = append(texts, c.Text)
	}
	require.Equal(t, []string{"Thanks", "Your phone?", "A manager will call you"}, texts)

	// A failed delivery drops the held message with the response.
	failing := textReplyHandler{s: s, after: func(context.Context, bot.Update) error { return errors.New("redis is down") }}
	w = post(t, telegram.NewWebhook(customersOnly(t, failing), secret, telegram.WebhookOptions{}), "POST", secret,
		updateJSON(t, withID(telegramtest.Text(14, 14, "hi"), 402)))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.NotContains(t, w.Body.String(), "sendMessage")

	// webhook_replies: false: every call is made, nothing rides.
	off, _ := newSender(t, b, telegram.SenderOptions{NoWebhookReplies: true})
	w = post(t, telegram.NewWebhook(customersOnly(t, textReplyHandler{s: off}), secret, telegram.WebhookOptions{}), "POST", secret,
		updateJSON(t, withID(telegramtest.Text(15, 15, "hi"), 403)))
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Body.String())
	require.Len(t, b.srv.Sent(15), 2)
	press := withID(telegramtest.Callback(16, 16, 43, "need:buy"), 404)
	w = post(t, telegram.NewWebhook(customersOnly(t, replyHandler{s: off}), secret, telegram.WebhookOptions{}), "POST", secret, updateJSON(t, press))
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Body.String())
	calls, err := b.srv.WaitCalls(t.Context(), "answerCallbackQuery", 1)
	require.NoError(t, err)
	require.Equal(t, press.CallbackQuery.ID, calls[0].Params["callback_query_id"])
}
