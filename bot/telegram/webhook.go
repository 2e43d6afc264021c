package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
)

// SecretHeader is where Telegram puts the secret_token given to setWebhook.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// DefaultMaxBody bounds a webhook request. Real updates are a few KiB; a
// megabyte leaves room for long texts and big entity lists.
const DefaultMaxBody int64 = 1 << 20

// WebhookOptions tune the webhook handler.
type WebhookOptions struct {
	// MaxBody is the largest request accepted (DefaultMaxBody); larger is 413.
	MaxBody int64
	// Logger receives failures; never update contents, which are personal
	// data.
	Logger *slog.Logger
	// Observe, when set, is told about every request: kind is the update's
	// bot.InputKind, "sales_group" for an update of the sales group, or
	// "ignored" / "invalid" / "unknown" when there is no update to name;
	// outcome is "ok", "ignored", "in_progress", "error", "panic",
	// "unauthorized", "method_not_allowed", "too_large" or "bad_request".
	Observe func(kind string, outcome string, d time.Duration)
}

// webhook is the HTTP side of webhook mode.
type webhook struct {
	router  *Router
	secret  []byte
	maxBody int64
	log     *slog.Logger
	observe func(kind, outcome string, d time.Duration)
}

// NewWebhook returns the handler Telegram posts updates to.
//
// The secret is checked in constant time before the body is read, so an
// unauthenticated caller costs nothing and learns nothing. An empty secret
// rejects every request: a webhook without one would accept updates forged
// by anyone who finds the URL.
//
// Every update goes to router, with the request's WebhookReply: one call
// of the update's reply may ride on the 200's body.
//
// The handler answers 200 only after the router's destination returned
// nil, because 200 is the acknowledgement: Telegram redelivers an update
// until it gets one, so a handler error or panic becomes a 500 and the
// update comes again (the dispatcher de-duplicates by update id). Updates
// the router ignores are acknowledged at once.
func NewWebhook(router *Router, secret string, opts WebhookOptions) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string, time.Duration) {}
	}
	return &webhook{router: router, secret: []byte(secret), maxBody: opts.MaxBody, log: opts.Logger, observe: opts.Observe}
}

func (wh *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	wr := &WebhookReply{}
	defer wr.finish()
	kind, outcome, status := wh.serve(w, r, wr)
	wh.observe(kind, outcome, time.Since(start))
	switch status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusOK {
		if body := wr.response(); body != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// serve does the work and says how it went; ServeHTTP writes the answer, so
// that a recovered panic still gets one.
func (wh *webhook) serve(w http.ResponseWriter, r *http.Request, wr *WebhookReply) (kind, outcome string, status int) {
	if r.Method != http.MethodPost {
		return "unknown", "method_not_allowed", http.StatusMethodNotAllowed
	}
	got := []byte(r.Header.Get(SecretHeader))
	if len(wh.secret) == 0 || subtle.ConstantTimeCompare(got, wh.secret) != 1 {
		return "unknown", "unauthorized", http.StatusUnauthorized
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wh.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "invalid", "too_large", http.StatusRequestEntityTooLarge
		}
		return "invalid", "bad_request", http.StatusBadRequest
	}
	var tu tgbotapi.Update
	if err := json.Unmarshal(body, &tu); err != nil || tu.UpdateID == 0 {
		return "invalid", "bad_request", http.StatusBadRequest
	}
	routed, err := wh.router.Handle(r.Context(), tu, wr)
	kind = routed.kind()
	if routed.To == Ignored {
		return "ignored", "ignored", http.StatusOK
	}
	if err != nil {
		var p *panicError
		if errors.As(err, &p) {
			wh.log.ErrorContext(r.Context(), "telegram webhook: handler panicked",
				"update_id", tu.UpdateID, "chat_id", routed.ChatID, "kind", kind, "panic", p.value, "stack", string(p.stack))
			return kind, "panic", http.StatusInternalServerError
		}
		if errors.Is(err, bot.ErrInProgress) {
			// Another replica has this update in hand and may yet fail
			// with it: not a 200, which would lose it, and not an error
			// either. Telegram delivers it again; by then it is done or
			// free to be handled here.
			wh.log.DebugContext(r.Context(), "telegram webhook: update in hand elsewhere", "update_id", tu.UpdateID)
			return kind, "in_progress", http.StatusServiceUnavailable
		}
		wh.log.ErrorContext(r.Context(), "telegram webhook: handle update",
			"update_id", tu.UpdateID, "chat_id", routed.ChatID, "kind", kind, "err", err)
		return kind, "error", http.StatusInternalServerError
	}
	return kind, "ok", http.StatusOK
}

// WebhookReply is the one Bot API call a handler may hand back in the
// webhook's own 200 response, which Telegram then makes for the bot: a
// round trip saved. The webhook makes one per request and passes it with
// the update (bot.Update.Slot); a reply given it (bot.Reply.Slot) may put
// a call there (Sender.PlanReply and Sender.ReplyReserved), and nothing
// else can. Telegram reports nothing about such a call, so only a call
// whose result nobody needs rides there: the answer to a button press, or
// else the last message of a reply. Anything but a 200 drops it, as
// Telegram would. Long polling has no response and passes none (nil).
type WebhookReply struct {
	mu   sync.Mutex
	body []byte
	// held is the message the body sends, when it is one: a call made
	// later with the same WebhookReply takes it back and sends it first,
	// so that the chat sees its messages in order (Sender.do).
	held *heldMessage
}

var _ bot.ReplySlot = (*WebhookReply)(nil)

// Taken implements bot.ReplySlot: whether a call rides on the response.
func (wr *WebhookReply) Taken() bool {
	if wr == nil {
		return false
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.body != nil
}

// webhookReply is the WebhookReply of slot, nil when it is none.
func webhookReply(slot bot.ReplySlot) *WebhookReply {
	wr, _ := slot.(*WebhookReply)
	return wr
}

// heldMessage is a reply's last message riding on the webhook response,
// and done, run once the response is written (or dropped): it tells the
// rate window the call has gone.
type heldMessage struct {
	msg  bot.Message
	done func()
	// released is set once the message's rate-limit slot has come
	// (Sender.release); until then it is planned, not yet let go.
	released bool
}

// planned is the message held on the response and not yet released, if
// there is one.
func (wr *WebhookReply) planned() *heldMessage {
	if wr == nil {
		return nil
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.held == nil || wr.held.released {
		return nil
	}
	return wr.held
}

// offer hands body (a JSON object with "method") to the response, if it
// is free.
func (wr *WebhookReply) offer(body []byte) bool {
	return wr.hold(body, nil)
}

// hold is offer for a message: held says what the body sends, for take.
func (wr *WebhookReply) hold(body []byte, held *heldMessage) bool {
	if wr == nil {
		return false
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.body != nil {
		return false
	}
	wr.body, wr.held = body, held
	return true
}

// take takes back the message held on the response, if one is (with
// releasedOnly, only once ReplyReserved let it go: until then the calls
// of its own reply go before it); the response then carries no call.
func (wr *WebhookReply) take(releasedOnly bool) (*heldMessage, bool) {
	if wr == nil {
		return nil, false
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	h := wr.held
	if h == nil || (releasedOnly && !h.released) {
		return nil, false
	}
	wr.body, wr.held = nil, nil
	return h, true
}

// response is the body the 200 carries, nil for none.
func (wr *WebhookReply) response() []byte {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.body
}

// finish runs the held message's done, once the response is written or
// dropped.
func (wr *WebhookReply) finish() {
	wr.mu.Lock()
	h := wr.held
	wr.held = nil
	wr.mu.Unlock()
	if h != nil && h.done != nil {
		h.done()
	}
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("handler panicked: %v", p.value) }

// SetWebhook points Telegram at url, asking for the update kinds ToUpdate
// uses and for the secret token header NewWebhook checks. It goes through
// MakeRequest because tgbotapi v5.5.1's WebhookConfig has no secret_token.
// maxConnections 0 keeps Telegram's default (40).
func SetWebhook(ctx context.Context, api *API, url, secret string, maxConnections int) error {
	if err := validSecret(secret); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", err)
	}
	allowed, err := json.Marshal(allowedUpdates())
	if err != nil {
		return fmt.Errorf("telegram: set webhook: %w", err)
	}
	params := tgbotapi.Params{
		"url":             url,
		"secret_token":    secret,
		"allowed_updates": string(allowed),
	}
	if maxConnections > 0 {
		params["max_connections"] = strconv.Itoa(maxConnections)
	}
	if _, err := withContext(ctx, api.bot).MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", apiOrScrubbed(err, api.bot.Token))
	}
	return nil
}

// DeleteWebhook switches the bot back to getUpdates, keeping pending
// updates: they are customers' messages not yet handled.
func DeleteWebhook(ctx context.Context, api *API) error {
	if _, err := withContext(ctx, api.bot).Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return fmt.Errorf("telegram: delete webhook: %w", apiOrScrubbed(err, api.bot.Token))
	}
	return nil
}

// apiOrScrubbed returns the *APIError for a refusal and the scrubbed error
// for anything else.
func apiOrScrubbed(err error, token string) error {
	if ae := asAPIError(err); ae != nil {
		return ae
	}
	return scrub(err, token)
}

// validSecret applies Telegram's rule for secret_token (1-256 characters
// A-Z, a-z, 0-9, _ and -), so a bad secret fails here and not as a
// puzzling 400.
func validSecret(s string) error {
	if len(s) == 0 || len(s) > 256 {
		return errors.New("secret token must be 1-256 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errors.New("secret token may hold only A-Z, a-z, 0-9, _ and -")
		}
	}
	return nil
}
