package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// SenderOptions tune a Sender. Zero values take the defaults, which are
// Telegram's published limits for a bot.
type SenderOptions struct {
	// realSleep is set when Sleep really waits (the default), so admit may
	// wait its turn in a loop; an injected Sleep only records.
	realSleep bool
	// GlobalPerSecond is the bot-wide message rate (30): Telegram's limit
	// applies to the bot token, so every replica draws from one bucket.
	GlobalPerSecond float64
	// GlobalBurst is how many messages may go at once before the rate
	// applies (1: evenly paced). Telegram counts any one-second window,
	// so a burst on top of the full rate is what earns a 429.
	GlobalBurst int
	// ChatPerSecond and ChatBurst limit one private chat (1/s, burst 3): a
	// flow step may say two or three things at once, which Telegram
	// tolerates, but not a stream.
	ChatPerSecond float64
	ChatBurst     int
	// GroupPerMinute limits a group chat (20/min), such as the sales group;
	// groups are the chats with a negative id.
	GroupPerMinute float64
	// MaxAttempts bounds the calls made for one message (5), counting the
	// first. Callers are durable jobs with their own retries, so giving up
	// early is safe; waiting forever inside one job is not.
	MaxAttempts int
	// Backoff is the first wait after a 5xx or network error (200ms); it
	// doubles on each further attempt.
	Backoff time.Duration
	// MaxRetryAfter is the longest 429 retry_after waited out in place
	// (60s). A longer flood ban is returned as an *APIError for the job
	// queue to reschedule instead of holding a worker.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends; injected so tests record waits
	// instead of sleeping. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives retries and oddities; never message text or tokens.
	Logger *slog.Logger
	// NoWebhookReplies makes every call a call of its own. By default, a
	// reply given a webhook request's WebhookReply (bot.Reply.Slot) lets
	// the answer to a button press, or else its last message, ride on the
	// webhook's 200 response, and Telegram makes the call: a Bot API round
	// trip saved per update, at the price of hearing nothing back about
	// that call. Config: telegram.webhook_replies.
	NoWebhookReplies bool
}

func (o SenderOptions) withDefaults() SenderOptions {
	o.GlobalPerSecond = bot.OrPositive(o.GlobalPerSecond, 30)
	o.GlobalBurst = bot.OrPositive(o.GlobalBurst, 1)
	o.ChatPerSecond = bot.OrPositive(o.ChatPerSecond, 1)
	o.ChatBurst = bot.OrPositive(o.ChatBurst, 3)
	o.GroupPerMinute = bot.OrPositive(o.GroupPerMinute, 20)
	o.MaxAttempts = bot.OrPositive(o.MaxAttempts, 5)
	o.Backoff = bot.OrPositive(o.Backoff, 200*time.Millisecond)
	o.MaxRetryAfter = bot.OrPositive(o.MaxRetryAfter, time.Minute)
	if o.Sleep == nil {
		o.Sleep = sleep
		o.realSleep = true
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// maxBackoff caps the doubling, whatever MaxAttempts is.
const maxBackoff = 30 * time.Second

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Sender delivers bot.Message through the Bot API. It is safe for
// concurrent use; ordering between concurrent sends to one chat is the
// caller's business.
type Sender struct {
	api     *tgbotapi.BotAPI
	limiter bot.Limiter
	opts    SenderOptions
	// keyPrefix names this bot's buckets, so that two bots sharing one
	// Redis do not share limits.
	keyPrefix string
}

var _ bot.Sender = (*Sender)(nil)

// APIError is a request Telegram refused. Callers tell cases apart with
// errors.As: Code 403 means the customer blocked the bot (stop writing to
// them), 400 a bad request that no retry will fix, 429 a flood ban longer
// than the Sender waits out (RetryAfter seconds). MigrateToChatID is set
// when a group became a supergroup with a new id.
type APIError struct {
	Code            int
	Description     string
	RetryAfter      int
	MigrateToChatID int64
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram api: %d %s", e.Code, e.Description)
}

// Blocked reports whether the customer blocked the bot or deleted their
// account; writing to them again only earns more 403s.
func (e *APIError) Blocked() bool { return e.Code == 403 }

// Permanent reports a refusal no retry will change (400: the chat is
// gone, the text is unacceptable).
func (e *APIError) Permanent() bool { return e.Code == 400 }

// NewSender returns a Sender over api. limiter nil means a LocalLimiter,
// right for one process only.
func NewSender(api *API, limiter bot.Limiter, opts SenderOptions) *Sender {
	if limiter == nil {
		limiter = bot.NewLocalLimiter(nil)
	}
	return &Sender{
		api:       api.bot,
		limiter:   limiter,
		opts:      opts.withDefaults(),
		keyPrefix: fmt.Sprintf("telegram:%d:", api.bot.Self.ID),
	}
}

// Send implements bot.Sender. Text goes out plain (no parse mode), so what
// a flow or a customer wrote can never break the markup. An edit that
// changes nothing ("message is not modified") counts as done: the message
// already says what was asked.
//
// A network failure is retried like a 5xx although the request may have
// reached Telegram before the connection broke, so in that rare case the
// customer sees the message twice: the Bot API has no idempotency key, and
// a reply lost for good is the worse outcome.
//
// Send never touches a webhook response: only a Reply is given one.
func (s *Sender) Send(ctx context.Context, m bot.Message) (int, error) {
	return s.send(ctx, nil, m, nil)
}

// send is Send with the first attempt's slot reserved already when
// reserved is set (by Reply), as a call of the reply given wr.
func (s *Sender) send(ctx context.Context, wr *WebhookReply, m bot.Message, reserved *slot) (int, error) {
	if m.CreateTopic != "" || m.ThreadID != 0 {
		return s.sendRaw(ctx, m, reserved)
	}
	c, err := toChattable(m)
	if err != nil {
		return 0, fmt.Errorf("telegram: send to chat %d: %w", m.ChatID, err)
	}
	resp, err := s.do(ctx, wr, m.ChatID, chattable{c}, reserved)
	if err != nil {
		var ae *APIError
		if m.EditMessageID != 0 && errors.As(err, &ae) && ae.Code == 400 &&
			strings.Contains(ae.Description, "message is not modified") {
			return m.EditMessageID, nil
		}
		return 0, fmt.Errorf("telegram: send to chat %d: %w", m.ChatID, err)
	}
	if m.EditMessageID != 0 {
		return m.EditMessageID, nil
	}
	// Only the id is read: decoding the whole Message (sender, chat,
	// entities, markup) cost more than the rest of the call's handling.
	var sent struct {
		MessageID int `json:"message_id"`
	}
	if err := json.Unmarshal(resp.Result, &sent); err != nil || sent.MessageID == 0 {
		// Telegram took the message; failing now would make the caller
		// send it again.
		s.opts.Logger.WarnContext(ctx, "telegram: sent message without a readable id", "chat_id", m.ChatID)
		return 0, nil
	}
	return sent.MessageID, nil
}

// AnswerCallback implements bot.Sender. It draws on the bot-wide bucket
// only: a button press is answered at once, whatever the chat has been
// sent lately.
func (s *Sender) AnswerCallback(ctx context.Context, a bot.CallbackAnswer) error {
	if a.CallbackID == "" {
		return fmt.Errorf("telegram: answer callback: %w", crm.Errorf(crm.EINVALID, "empty callback id"))
	}
	return s.answerCallback(ctx, nil, a, nil)
}

func (s *Sender) answerCallback(ctx context.Context, wr *WebhookReply, a bot.CallbackAnswer, reserved *slot) error {
	if _, err := s.do(ctx, wr, 0, chattable{tgbotapi.NewCallback(a.CallbackID, a.Text)}, reserved); err != nil {
		return fmt.Errorf("telegram: answer callback: %w", err)
	}
	return nil
}

// callbackAnswerBody is answerCallbackQuery as a webhook response.
func callbackAnswerBody(a bot.CallbackAnswer) []byte {
	body, _ := json.Marshal(struct {
		Method          string `json:"method"`
		CallbackQueryID string `json:"callback_query_id"`
		Text            string `json:"text,omitempty"`
	}{"answerCallbackQuery", a.CallbackID, a.Text})
	return body
}

var _ bot.Replier = (*Sender)(nil)

// Reply implements bot.Replier: every slot the reply needs (the callback
// answer and each message from the bot's bucket, each message from the
// chat's) is reserved in one call to a bot.BatchLimiter, then the calls go
// out in order, each at its slot's time. Retries after a 429 or a 5xx
// reserve again, as Send does. With a limiter that cannot batch, it is
// AnswerCallback and Send in turn.
//
// Given a webhook request's WebhookReply (r.Slot), the callback answer
// rides on the webhook's response instead of a call of its own: the press
// is then answered when the reply is done, a few milliseconds later than
// a call would, and one Bot API round trip cheaper. A reply to a message
// (no button pressed) lets its last message ride there instead (hold).
// A later Reply with the same Slot takes that message back and sends it
// first.
func (s *Sender) Reply(ctx context.Context, r bot.Reply) (int, error) {
	r, buckets := s.PlanReply(ctx, r)
	var waits [][]time.Duration
	if len(buckets) > 0 {
		var err error
		if waits, err = s.limiter.(bot.BatchLimiter).ReserveAll(ctx, buckets); err != nil {
			s.opts.Logger.WarnContext(ctx, "telegram: rate limits unavailable", "chat_id", r.ChatID, "err", err)
			waits = nil
		}
	}
	return s.ReplyReserved(ctx, r, waits)
}

var _ bot.ReservingReplier = (*Sender)(nil)

// PlanReply implements bot.ReservingReplier. With a webhook request's
// WebhookReply in r.Slot one call rides on the webhook's response: the
// callback answer, or, with no button pressed, the reply's last message
// when it is a plain sendMessage (hold); either leaves r. The buckets are
// the bot-wide one (the callback answer and each message, the held one
// too) and the chat's (each message), none when the limiter cannot batch
// (each call then reserves its own).
func (s *Sender) PlanReply(_ context.Context, r bot.Reply) (bot.Reply, []bot.Bucket) {
	wr := webhookReply(r.Slot)
	if c := r.Callback; c != nil && c.CallbackID != "" && !s.opts.NoWebhookReplies && wr.offer(callbackAnswerBody(*c)) {
		r.Callback = nil
	} else if c == nil && len(r.Messages) > 0 && s.hold(wr, r.Messages[len(r.Messages)-1]) {
		r.Messages = r.Messages[: len(r.Messages)-1 : len(r.Messages)-1]
	}
	n := len(r.Messages) + boolInt(wr.planned() != nil)
	if _, ok := s.limiter.(bot.BatchLimiter); !ok || n+boolInt(r.Callback != nil) == 0 {
		return r, nil
	}
	rate, burst := s.chatRate(r.ChatID)
	return r, []bot.Bucket{
		{Key: s.keyPrefix + "global", PerSecond: s.opts.GlobalPerSecond, Burst: s.opts.GlobalBurst, N: n + boolInt(r.Callback != nil)},
		{Key: s.chatKey(r.ChatID), PerSecond: rate, Burst: burst, N: n},
	}
}

// ReplyReserved implements bot.ReservingReplier: r as PlanReply left it,
// sent at the slots of waits (PlanReply's buckets, as ReserveAll answers);
// with nil waits each call reserves its own. A message PlanReply held for
// the webhook response comes last: it waits for its slot here, as a call
// would, and is dropped if a message before it failed.
func (s *Sender) ReplyReserved(ctx context.Context, r bot.Reply, waits [][]time.Duration) (int, error) {
	wr := webhookReply(r.Slot)
	held := wr.planned()
	slots := &replySlots{waits: replyWaits(r, boolInt(held != nil), waits)}
	var errs []error
	if r.Callback != nil {
		if r.Callback.CallbackID == "" {
			errs = append(errs, fmt.Errorf("telegram: answer callback: %w", crm.Errorf(crm.EINVALID, "empty callback id")))
		} else if err := s.answerCallback(ctx, wr, *r.Callback, slots.next()); err != nil {
			errs = append(errs, err)
		}
	}
	sent := 0
	for _, m := range r.Messages {
		if _, err := s.send(ctx, wr, m, slots.next()); err != nil {
			errs = append(errs, err)
			if held != nil {
				wr.take(false) // the first failed message stops the rest
			}
			return sent, errors.Join(errs...)
		}
		sent++
	}
	if held != nil {
		if err := s.release(ctx, wr, held, slots.next()); err != nil {
			errs = append(errs, fmt.Errorf("telegram: send to chat %d: %w", held.msg.ChatID, err))
		} else {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// hold puts m, a reply's last message, on the webhook response wr instead
// of a call, when there is one, it is free and m is a plain sendMessage
// (an edit or a file goes as a call). Telegram makes the call when the
// 200 arrives, after everything the request sends itself, so the chat's
// order holds; a call made later with the same wr takes m back and sends
// it first (do). ReplyReserved then lets it go (release)
// at its rate-limit slot. Telegram reports nothing about such a call: the
// reservations are what keep it from being refused, and a refused one is
// lost as a crash would lose it (the customer's next message, or the
// follow-up nudge, asks again).
func (s *Sender) hold(wr *WebhookReply, m bot.Message) bool {
	if s.opts.NoWebhookReplies || wr == nil {
		return false
	}
	body, ok := messageBody(m)
	return ok && wr.hold(body, &heldMessage{msg: m})
}

// release lets a held message go with the webhook response: it waits for
// its reserved slot (or reserves one) and is admitted to the rate window,
// whose place it holds until the response is written. The response is
// written only after the handler returns, so waiting here is waiting
// before the call.
func (s *Sender) release(ctx context.Context, wr *WebhookReply, h *heldMessage, reserved *slot) error {
	var err error
	if reserved != nil {
		if reserved.wait > 0 {
			err = s.opts.Sleep(ctx, reserved.wait)
		}
	} else {
		err = s.wait(ctx, h.msg.ChatID)
	}
	var ticket string
	if err == nil {
		ticket, err = s.admit(ctx)
	}
	if err != nil {
		wr.take(false)
		return err
	}
	h.done = func() { s.doneAfter(ctx, ticket, ridingAllowance) }
	h.released = true
	return nil
}

// replyWaits orders the reserved waits as the reply's calls go: the
// callback answer (bot-wide slot only), then each message, the held one
// (held = 1) last (the later of its bot-wide and chat slots). Waits of
// another shape are none.
func replyWaits(r bot.Reply, held int, waits [][]time.Duration) []time.Duration {
	n, cb := len(r.Messages)+held, boolInt(r.Callback != nil)
	if len(waits) != 2 || len(waits[0]) != n+cb || len(waits[1]) != n {
		return nil
	}
	global, chat := waits[0], waits[1]
	out := make([]time.Duration, 0, n+cb)
	if cb == 1 {
		out = append(out, global[0])
		global = global[1:]
	}
	for i := range n {
		out = append(out, max(global[i], chat[i]))
	}
	return out
}

// messageBody renders m as a sendMessage call for a webhook response;
// false for anything else (an edit, a photo or a document, which is an
// upload, or a message that does not render).
func messageBody(m bot.Message) ([]byte, bool) {
	c, err := toChattable(m)
	if err != nil {
		return nil, false
	}
	msg, ok := c.(tgbotapi.MessageConfig)
	if !ok {
		return nil, false
	}
	body, err := json.Marshal(struct {
		Method      string `json:"method"`
		ChatID      int64  `json:"chat_id"`
		Text        string `json:"text"`
		ReplyMarkup any    `json:"reply_markup,omitempty"`
	}{"sendMessage", msg.ChatID, msg.Text, msg.ReplyMarkup})
	return body, err == nil
}

// slot is a call's reserved wait: how long to sleep before making it.
type slot struct{ wait time.Duration }

// replySlots hands out a reply's reserved slots in order, each less what
// the reply has slept already (the waits count from the reservation; the
// calls' own time is not taken off, so a call may go a little later than
// its slot, never earlier). With none reserved it hands out nil, and each
// call reserves its own.
type replySlots struct {
	waits  []time.Duration
	waited time.Duration
}

func (rs *replySlots) next() *slot {
	if len(rs.waits) == 0 {
		return nil
	}
	w := max(rs.waits[0]-rs.waited, 0)
	rs.waits = rs.waits[1:]
	rs.waited += w
	return &slot{wait: w}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// toChattable renders m as a Bot API call. One message carries one
// reply_markup, so inline buttons and a contact request cannot travel
// together; that is refused rather than silently dropping one of them.
// RemoveKeyboard is a best-effort tidy-up and gives way to inline buttons.
func toChattable(m bot.Message) (tgbotapi.Chattable, error) {
	if m.ChatID == 0 {
		return nil, crm.Errorf(crm.EINVALID, "message without a chat")
	}
	if m.Delete {
		if m.EditMessageID == 0 {
			return nil, crm.Errorf(crm.EINVALID, "a deletion needs the message")
		}
		return tgbotapi.NewDeleteMessage(m.ChatID, m.EditMessageID), nil
	}
	if m.Photo != nil || m.Document != nil {
		return fileChattable(m)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, crm.Errorf(crm.EINVALID, "message without text")
	}
	if m.RequestContact != "" && (len(m.Buttons) > 0 || m.EditMessageID != 0) {
		return nil, crm.Errorf(crm.EINVALID, "a contact request cannot go with inline buttons or an edit")
	}
	inline, err := inlineKeyboard(m.Buttons)
	if err != nil {
		return nil, err
	}
	if m.EditMessageID != 0 {
		// Without reply_markup Telegram removes the old buttons, which is
		// what an answered question should look like.
		edit := tgbotapi.NewEditMessageText(m.ChatID, m.EditMessageID, m.Text)
		edit.ReplyMarkup = inline
		return edit, nil
	}
	msg := tgbotapi.NewMessage(m.ChatID, m.Text)
	if m.ReplyTo != 0 {
		msg.ReplyToMessageID, msg.AllowSendingWithoutReply = m.ReplyTo, true
	}
	switch {
	case inline != nil:
		msg.ReplyMarkup = *inline
	case m.RequestContact != "":
		msg.ReplyMarkup = tgbotapi.ReplyKeyboardMarkup{
			Keyboard:        [][]tgbotapi.KeyboardButton{{tgbotapi.NewKeyboardButtonContact(m.RequestContact)}},
			ResizeKeyboard:  true,
			OneTimeKeyboard: true,
		}
	case m.RemoveKeyboard:
		msg.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
	}
	return msg, nil
}

// Telegram's limits on what a bot uploads: a photo up to 10 MB, any other
// file up to 50 MB, a caption up to 1024 characters. Past them Telegram
// answers 400, which no retry fixes, so they are refused before the call.
const (
	maxPhotoBytes    = 10 << 20
	maxDocumentBytes = 50 << 20
	maxCaption       = 1024
)

// fileChattable renders a message that carries a photo (sendPhoto) or a
// document (sendDocument), with the text as its caption (plain, like every
// text this sender sends) and inline buttons if any. The bytes are sent as
// a multipart upload; every retry uploads them again.
func fileChattable(m bot.Message) (tgbotapi.Chattable, error) {
	switch {
	case m.Photo != nil && m.Document != nil:
		return nil, crm.Errorf(crm.EINVALID, "a message carries a photo or a document, not both")
	case m.EditMessageID != 0 || m.RequestContact != "":
		return nil, crm.Errorf(crm.EINVALID, "a photo or a document cannot be an edit or ask for the contact")
	case len([]rune(m.Text)) > maxCaption:
		return nil, crm.Errorf(crm.EINVALID, "a caption is at most %d characters", maxCaption)
	case m.Photo != nil && (len(m.Photo) == 0 || len(m.Photo) > maxPhotoBytes):
		return nil, crm.Errorf(crm.EINVALID, "a photo must be 1 byte to 10 MB")
	case m.Document != nil && (len(m.Document) == 0 || len(m.Document) > maxDocumentBytes):
		return nil, crm.Errorf(crm.EINVALID, "a document must be 1 byte to 50 MB")
	}
	inline, err := inlineKeyboard(m.Buttons)
	if err != nil {
		return nil, err
	}
	if m.Photo != nil {
		name := m.PhotoName
		if name == "" {
			name = "photo.png"
		}
		photo := tgbotapi.NewPhoto(m.ChatID, tgbotapi.FileBytes{Name: name, Bytes: m.Photo})
		photo.Caption = m.Text
		if inline != nil {
			photo.ReplyMarkup = *inline
		}
		return photo, nil
	}
	name := m.DocumentName
	if name == "" {
		name = "document"
	}
	doc := tgbotapi.NewDocument(m.ChatID, tgbotapi.FileBytes{Name: name, Bytes: m.Document})
	doc.Caption = m.Text
	if inline != nil {
		doc.ReplyMarkup = *inline
	}
	return doc, nil
}

func inlineKeyboard(rows [][]bot.Button) (*tgbotapi.InlineKeyboardMarkup, error) {
	var out [][]tgbotapi.InlineKeyboardButton
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		r := make([]tgbotapi.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			switch {
			case b.Text == "":
				return nil, crm.Errorf(crm.EINVALID, "button without text")
			case (b.Data == "") == (b.URL == ""):
				return nil, crm.Errorf(crm.EINVALID, "button %q needs exactly one of data and url", b.Text)
			case len(b.Data) > maxCallbackData:
				return nil, crm.Errorf(crm.EINVALID, "button %q: data longer than %d bytes", b.Text, maxCallbackData)
			case b.URL != "":
				r = append(r, tgbotapi.NewInlineKeyboardButtonURL(b.Text, b.URL))
			default:
				r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
			}
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: out}, nil
}

// do makes one Bot API call with rate limits and retries. chatID 0 means the
// call draws on the bot-wide bucket only. wr is the webhook response of
// the reply the call belongs to, nil for none.
func (s *Sender) do(ctx context.Context, wr *WebhookReply, chatID int64, c request, reserved *slot) (*tgbotapi.APIResponse, error) {
	if h, ok := wr.take(true); ok {
		// A call after a reply whose last message rides on the same
		// webhook response: that message goes first, so the chat sees
		// its messages in order.
		if h.done != nil {
			h.done()
		}
		// Its slot was waited for: it goes now.
		if _, err := s.send(ctx, nil, h.msg, &slot{}); err != nil {
			s.opts.Logger.WarnContext(ctx, "telegram: send a reply taken back from the webhook response", "chat_id", h.msg.ChatID, "err", err)
		}
	}
	for attempt := 1; ; attempt++ {
		if attempt == 1 && reserved != nil {
			if reserved.wait > 0 {
				if err := s.opts.Sleep(ctx, reserved.wait); err != nil {
					return nil, err
				}
			}
		} else if err := s.wait(ctx, chatID); err != nil {
			return nil, err
		}
		ticket, err := s.admit(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.request(withContext(ctx, s.api))
		s.done(ctx, ticket)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		delay, final, retry := s.classify(err, attempt)
		if !retry || attempt >= s.opts.MaxAttempts {
			return nil, final
		}
		s.opts.Logger.WarnContext(ctx, "telegram: retrying call",
			"chat_id", chatID, "attempt", attempt, "delay", delay, "err", final)
		if err := s.opts.Sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// request is one Bot API call: a library Chattable, or a method with its
// parameters for what go-telegram-bot-api v5.5.1 cannot say (forum topics,
// Bot API 6.3).
type request interface {
	request(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)
}

type chattable struct{ c tgbotapi.Chattable }

func (c chattable) request(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
	return api.Request(c.c)
}

type rawRequest struct {
	method string
	params tgbotapi.Params
}

func (r rawRequest) request(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
	resp, err := api.MakeRequest(r.method, r.params)
	if err == nil && resp != nil && !resp.Ok {
		// MakeRequest already returns the refusal as an error; this is
		// its belt and braces.
		return resp, &tgbotapi.Error{Code: resp.ErrorCode, Message: resp.Description}
	}
	return resp, err
}

// sendRaw sends what the library has no config for: a text (with inline
// buttons, a reply) into a forum topic, or a new topic (its thread id is
// returned).
func (s *Sender) sendRaw(ctx context.Context, m bot.Message, reserved *slot) (int, error) {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", m.ChatID)
	method := "sendMessage"
	switch {
	case m.CreateTopic != "":
		method = "createForumTopic"
		p["name"] = clipRunes(m.CreateTopic, 128)
	case m.EditMessageID != 0 || m.Photo != nil || m.Document != nil || m.RequestContact != "" || m.Delete:
		return 0, fmt.Errorf("telegram: send to chat %d: %w", m.ChatID, crm.Errorf(crm.EINVALID, "a topic message is plain text with inline buttons"))
	default:
		if strings.TrimSpace(m.Text) == "" {
			return 0, fmt.Errorf("telegram: send to chat %d: %w", m.ChatID, crm.Errorf(crm.EINVALID, "message without text"))
		}
		p["text"] = m.Text
		p.AddNonZero("message_thread_id", m.ThreadID)
		if m.ReplyTo != 0 {
			p.AddNonZero("reply_to_message_id", m.ReplyTo)
			p.AddBool("allow_sending_without_reply", true)
		}
		inline, err := inlineKeyboard(m.Buttons)
		if err != nil {
			return 0, err
		}
		if inline != nil {
			if err := p.AddInterface("reply_markup", inline); err != nil {
				return 0, err
			}
		}
	}
	resp, err := s.do(ctx, nil, m.ChatID, rawRequest{method: method, params: p}, reserved)
	if err != nil {
		return 0, fmt.Errorf("telegram: %s in chat %d: %w", method, m.ChatID, err)
	}
	var out struct {
		MessageID int `json:"message_id"`
		ThreadID  int `json:"message_thread_id"`
	}
	_ = json.Unmarshal(resp.Result, &out)
	if m.CreateTopic != "" {
		return out.ThreadID, nil
	}
	return out.MessageID, nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// maxWindowRate is the highest bot-wide rate kept by a sliding window:
// Telegram's real limits are tens a second; a rate above this is a local
// Bot API server or a benchmark, where a window would only cost a round
// trip per call.
const maxWindowRate = 1000

// admit holds a call, right before it goes, until fewer than the bot-wide
// rate are live in the last second (when the limiter keeps a sliding
// window), and returns the call's ticket for done. The token buckets pace
// calls ahead of time; a call that leaves late (a slow worker, a busy CPU)
// would otherwise let the ones after it crowd one second past Telegram's
// count. Tests whose Sleep only records waits pass straight through, as
// the buckets do for them.
func (s *Sender) admit(ctx context.Context) (string, error) {
	wl, ok := s.limiter.(bot.WindowLimiter)
	if !ok || s.opts.GlobalPerSecond > maxWindowRate {
		return "", nil
	}
	limit := int(s.opts.GlobalPerSecond)
	for range 1000 {
		ticket, d, err := wl.Admit(ctx, s.windowKey(), max(limit, 1), time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			s.opts.Logger.WarnContext(ctx, "telegram: rate window unavailable", "err", err)
			return "", nil
		}
		if d <= 0 {
			return ticket, nil
		}
		if err := s.opts.Sleep(ctx, d); err != nil {
			return "", err
		}
		if !s.opts.realSleep {
			return "", nil
		}
	}
	return "", nil
}

// done tells the window that the call of ticket has finished, even when the
// caller's context has ended: a call left in flight would hold its place
// for a minute.
func (s *Sender) done(ctx context.Context, ticket string) { s.doneAfter(ctx, ticket, 0) }

// ridingAllowance is how much later than the webhook's response is
// written a reply riding in it is counted as sent: Telegram carries the
// method out only once it has read the response, so the call's place in
// the window is held that much longer (a network round trip and
// Telegram's own handling, with room to spare).
const ridingAllowance = 250 * time.Millisecond

// doneAfter is done for a call carried out up to after later than now,
// where the limiter can say so (bot.LateWindowLimiter).
func (s *Sender) doneAfter(ctx context.Context, ticket string, after time.Duration) {
	if ticket == "" {
		return
	}
	ctx2 := context.WithoutCancel(ctx)
	var err error
	if late, ok := s.limiter.(bot.LateWindowLimiter); ok && after > 0 {
		err = late.DoneAfter(ctx2, s.windowKey(), ticket, after)
	} else {
		err = s.limiter.(bot.WindowLimiter).Done(ctx2, s.windowKey(), ticket)
	}
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "telegram: rate window unavailable", "err", err)
	}
}

func (s *Sender) windowKey() string { return s.keyPrefix + "window" }

// classify turns a failed call into the error to return and, if another
// attempt may succeed, how long to wait first: retry_after for a 429, an
// exponential backoff for a 5xx, a network error or an unreadable answer
// (a proxy's HTML error page). Other refusals are final.
func (s *Sender) classify(err error, attempt int) (delay time.Duration, final error, retry bool) {
	backoff := min(s.opts.Backoff<<(attempt-1), maxBackoff)
	if s.opts.Backoff<<(attempt-1) <= 0 {
		backoff = maxBackoff
	}
	ae := asAPIError(err)
	if ae == nil {
		return backoff, scrub(err, s.api.Token), true
	}
	switch {
	case ae.RetryAfter > 0:
		wait := time.Duration(ae.RetryAfter) * time.Second
		return wait, ae, wait <= s.opts.MaxRetryAfter
	case ae.Code == 429 || ae.Code >= 500 || ae.Code == 0:
		return backoff, ae, true
	default:
		return 0, ae, false
	}
}

// asAPIError reads the library's error for a refusal. tgbotapi v5.5.1
// returns *tgbotapi.Error whose Code is the answer's error_code (which
// mirrors the HTTP status) and whose ResponseParameters carry retry_after.
func asAPIError(err error) *APIError {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		var tv tgbotapi.Error
		if !errors.As(err, &tv) {
			return nil
		}
		te = &tv
	}
	return &APIError{
		Code:            te.Code,
		Description:     te.Message,
		RetryAfter:      te.RetryAfter,
		MigrateToChatID: te.MigrateToChatID,
	}
}

// wait reserves a token from the bot-wide bucket and the chat's bucket (in
// one call when the limiter can batch) and sleeps until both allow the
// call. A limiter that fails (Redis down) is logged and passed: Telegram's
// own 429 with retry_after still protects the bot, while failing would
// silence it.
func (s *Sender) wait(ctx context.Context, chatID int64) error {
	if bl, ok := s.limiter.(bot.BatchLimiter); ok && chatID != 0 {
		// Both buckets in one round trip.
		rate, burst := s.chatRate(chatID)
		waits, err := bl.ReserveAll(ctx, []bot.Bucket{
			{Key: s.keyPrefix + "global", PerSecond: s.opts.GlobalPerSecond, Burst: s.opts.GlobalBurst, N: 1},
			{Key: s.chatKey(chatID), PerSecond: rate, Burst: burst, N: 1},
		})
		if err == nil && len(waits) == 2 && len(waits[0]) == 1 && len(waits[1]) == 1 {
			if d := max(waits[0][0], waits[1][0]); d > 0 {
				return s.opts.Sleep(ctx, d)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.opts.Logger.WarnContext(ctx, "telegram: rate limits unavailable", "chat_id", chatID, "err", err)
		return nil
	}
	d, err := s.limiter.Reserve(ctx, s.keyPrefix+"global", s.opts.GlobalPerSecond, s.opts.GlobalBurst)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.opts.Logger.WarnContext(ctx, "telegram: global rate limit unavailable", "err", err)
	}
	if chatID != 0 {
		rate, burst := s.chatRate(chatID)
		cd, err := s.limiter.Reserve(ctx, s.chatKey(chatID), rate, burst)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.opts.Logger.WarnContext(ctx, "telegram: chat rate limit unavailable", "chat_id", chatID, "err", err)
		}
		d = max(d, cd)
	}
	if d <= 0 {
		return nil
	}
	return s.opts.Sleep(ctx, d)
}

// chatRate is the limit of one chat: a group's is the slower.
func (s *Sender) chatRate(chatID int64) (float64, int) {
	rate := s.opts.ChatPerSecond
	if chatID < 0 {
		rate = min(rate, s.opts.GroupPerMinute/60)
	}
	return rate, s.opts.ChatBurst
}

func (s *Sender) chatKey(chatID int64) string {
	return s.keyPrefix + "chat:" + strconv.FormatInt(chatID, 10)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
