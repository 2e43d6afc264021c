package telegram

import (
	"context"
	"errors"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/crm"
)

// PollerOptions tune a Poller.
type PollerOptions struct {
	// Timeout is the long-poll wait in seconds (25). It must stay below the
	// HTTP client's timeout (35s for NewAPI's default client).
	Timeout int
	// Limit is the most updates fetched at once (Telegram's default, 100).
	Limit int
	// Backoff is the first wait after a failed fetch or a failed update
	// (200ms); it doubles up to MaxBackoff (30s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Sleep waits d or until ctx ends; injected so tests do not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives failures; never update contents.
	Logger *slog.Logger
	// HandleTimeout bounds each attempt at handling an update (10s), as
	// the webhook's request deadline does: a database that hangs fails
	// the attempt, which is retried after Backoff, instead of stopping
	// the poll loop for as long as it hangs.
	HandleTimeout time.Duration
}

func (o PollerOptions) withDefaults() PollerOptions {
	if o.Timeout <= 0 {
		o.Timeout = 25
	}
	if o.Limit <= 0 || o.Limit > 100 {
		o.Limit = 100
	}
	if o.Backoff <= 0 {
		o.Backoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = 10 * time.Second
	}
	return o
}

// attempt runs one attempt at an update under HandleTimeout. Stopping the
// poller does not cut it short (the update is finished or failed whole);
// the deadline does.
func (p *Poller) attempt(ctx context.Context, do func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.HandleTimeout)
	defer cancel()
	return do(actx)
}

// Poller is long-polling mode: one replica fetches updates with getUpdates
// and hands them to the router one at a time, in order, with no reply slot
// (there is no response for a call to ride on).
//
// It is written on GetUpdates rather than the library's GetUpdatesChan,
// which moves the offset past an update before anyone has handled it, so a
// crash loses up to a batch. Here the offset, which is what confirms updates
// to Telegram, passes an update only after the handler returned nil for it.
// A failing update is retried with backoff and blocks the ones behind it:
// order within a chat matters more than latency, and skipping would lose a
// customer's answer. The exception is an error with code crm.EINVALID
// from the customers' dispatcher or the team, which no retry can fix; it
// is logged and skipped. (The sales group's errors are always retried:
// they are a question or a list of reasons that could not be sent.)
type Poller struct {
	api    *tgbotapi.BotAPI
	router *Router
	opts   PollerOptions
}

// NewPoller returns a Poller feeding router from api.
func NewPoller(api *API, router *Router, opts PollerOptions) *Poller {
	return &Poller{api: api.bot, router: router, opts: opts.withDefaults()}
}

// Run polls until ctx ends and then returns nil. It first deletes any
// webhook, since Telegram refuses getUpdates while one is set. It returns
// an error only when polling cannot work: the token is refused (401) or the
// bot does not exist (404).
//
// Cancelling ctx aborts a long poll at once but not an update being
// handled: the handler gets a context without the cancellation, so its
// durable write is not torn halfway, and Run returns after it. Before
// returning, Run confirms the updates it handled since the last fetch, so a
// restart does not see them again.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.retry(ctx, "delete webhook", func() error { return DeleteWebhook(ctx, &API{bot: p.api}) }); err != nil {
		return p.stopped(ctx, err)
	}
	offset, confirmed := 0, 0
	defer func() {
		if offset > confirmed {
			p.confirm(ctx, offset)
		}
	}()
	for {
		var updates []tgbotapi.Update
		err := p.retry(ctx, "get updates", func() error {
			var err error
			updates, err = withContext(ctx, p.api).GetUpdates(tgbotapi.UpdateConfig{
				Offset:         offset,
				Limit:          p.opts.Limit,
				Timeout:        p.opts.Timeout,
				AllowedUpdates: allowedUpdates(),
			})
			if err != nil {
				return apiOrScrubbed(err, p.api.Token)
			}
			return nil
		})
		if err != nil {
			return p.stopped(ctx, err)
		}
		confirmed = offset
		for _, tu := range updates {
			if ctx.Err() != nil {
				return nil
			}
			if tu.UpdateID < offset {
				continue
			}
			if err := p.handle(ctx, tu); err != nil {
				return p.stopped(ctx, err)
			}
			offset = tu.UpdateID + 1
		}
	}
}

// handle delivers one update until its destination takes it; an update
// the router ignores is done at once, and one the dispatcher or the team
// calls invalid is skipped.
func (p *Poller) handle(ctx context.Context, tu tgbotapi.Update) error {
	for attempt := 1; ; attempt++ {
		var routed Routed
		err := p.attempt(ctx, func(actx context.Context) (err error) {
			routed, err = p.router.Handle(actx, tu, nil)
			return err
		})
		if err == nil {
			return nil
		}
		kind := routed.kind()
		if routed.To != ToSalesGroup && crm.ErrorCode(err) == crm.EINVALID {
			p.opts.Logger.WarnContext(ctx, "telegram poller: skipping invalid update",
				"update_id", tu.UpdateID, "chat_id", routed.ChatID, "kind", kind, "err", err)
			return nil
		}
		p.opts.Logger.ErrorContext(ctx, "telegram poller: handle update",
			"update_id", tu.UpdateID, "chat_id", routed.ChatID, "kind", kind, "attempt", attempt, "err", err)
		if err := p.opts.Sleep(ctx, p.backoff(attempt)); err != nil {
			return err
		}
	}
}

// retry runs call until it succeeds, ctx ends, or Telegram says the token
// is no good.
func (p *Poller) retry(ctx context.Context, what string, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *APIError
		if errors.As(err, &ae) && (ae.Code == 401 || ae.Code == 404) {
			return err
		}
		delay := p.backoff(attempt)
		if ae != nil && ae.RetryAfter > 0 {
			delay = time.Duration(ae.RetryAfter) * time.Second
		}
		// 409 means another poller or a webhook holds the bot: worth
		// shouting about, but it may be a replica on its way out.
		p.opts.Logger.ErrorContext(ctx, "telegram poller: "+what, "attempt", attempt, "delay", delay, "err", err)
		if err := p.opts.Sleep(ctx, delay); err != nil {
			return err
		}
	}
}

func (p *Poller) backoff(attempt int) time.Duration {
	d := p.opts.Backoff
	for i := 1; i < attempt && d < p.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.opts.MaxBackoff)
}

// stopped maps the end of polling to Run's result: nil for a cancelled
// context, the error otherwise.
func (p *Poller) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// confirmTimeout bounds the farewell getUpdates that confirms handled
// updates after ctx has ended.
const confirmTimeout = 5 * time.Second

// confirm tells Telegram that updates below offset are done. A getUpdates
// with that offset is the only way to say so; it asks for no waiting and
// at most one update, which stays unconfirmed for the next run.
func (p *Poller) confirm(ctx context.Context, offset int) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	_, err := withContext(cctx, p.api).GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 1, AllowedUpdates: allowedUpdates()})
	if err != nil {
		p.opts.Logger.WarnContext(ctx, "telegram poller: confirm handled updates", "offset", offset, "err", apiOrScrubbed(err, p.api.Token))
	}
}
