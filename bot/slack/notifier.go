package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Options tune a Notifier. Zero values take the defaults.
type Options struct {
	// PerChannelPerSecond is the message rate in one channel (1): Slack's
	// published limit for chat.postMessage is about one message a second
	// per channel, and it applies to the workspace, so every replica draws
	// from one bucket in the shared limiter.
	PerChannelPerSecond float64
	// ChannelBurst is how many messages may go at once before the rate
	// applies (1). Slack tolerates short bursts, but a card and its
	// escalation arriving together gain nothing from it.
	ChannelBurst int
	// MaxAttempts bounds the calls made for one message (5), counting the
	// first. Callers are durable jobs with their own retries, so giving up
	// early is safe; holding a worker for minutes is not.
	MaxAttempts int
	// Backoff is the first wait after a 5xx or network error (500ms); it
	// doubles on each further attempt, up to 30s.
	Backoff time.Duration
	// MaxRetryAfter is the longest 429 Retry-After waited out in place
	// (60s); a longer one is returned for the job queue to reschedule.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends; injected so tests record waits
	// instead of sleeping. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives retries and oddities; never message text or tokens.
	Logger *slog.Logger
	// TimeZone is where the sales team reads clock times on cards ("claimed
	// at 14:05"); the configured time zone of the deployment. Default UTC.
	TimeZone *time.Location
	// Language is the team's language (the config's `language:`): the
	// sales channel is one room, so its cards speak the team's language.
	// "" is English.
	Language string
}

// format is how the channel's cards write figures and words.
func (o Options) format() bot.Format { return bot.Format{Lang: o.Language, Loc: o.TimeZone} }

func (o Options) withDefaults() Options {
	o.PerChannelPerSecond = bot.OrPositive(o.PerChannelPerSecond, 1)
	o.ChannelBurst = bot.OrPositive(o.ChannelBurst, 1)
	o.MaxAttempts = bot.OrPositive(o.MaxAttempts, 5)
	o.Backoff = bot.OrPositive(o.Backoff, 500*time.Millisecond)
	o.MaxRetryAfter = bot.OrPositive(o.MaxRetryAfter, time.Minute)
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	return o
}

// maxBackoff caps the doubling, whatever MaxAttempts is.
const maxBackoff = 30 * time.Second

// Notifier is the sales channel in Slack. It is safe for concurrent use.
//
// A card reference is "<channel>:<ts>", where channel is the channel id
// Slack answered with (chat.update wants an id; the configured channel may
// be a name) and ts the message's timestamp, which is its id in Slack.
//
// Posting is at least once: a network failure after Slack accepted a
// message is retried and shows the message twice, since chat.postMessage
// has no idempotency key and a card lost for good is the worse outcome.
type Notifier struct {
	api     *slackapi.Client
	channel string
	limiter bot.Limiter
	opts    Options
}

var _ crm.SalesNotifier = (*Notifier)(nil)

// NewNotifier returns a Notifier posting to channel (an id such as
// C0123ABC is best: the rate-limit bucket is named after the channel as
// given, and updates address the id Slack answers with). limiter nil means
// a bot.LocalLimiter, right for one process only.
func NewNotifier(client *Client, channel string, limiter bot.Limiter, opts Options) *Notifier {
	if limiter == nil {
		limiter = bot.NewLocalLimiter(nil)
	}
	return &Notifier{api: client.lib(), channel: channel, limiter: limiter, opts: opts.withDefaults()}
}

// Channel implements crm.SalesNotifier.
func (n *Notifier) Channel() string { return "slack" }

// PostCard implements crm.SalesNotifier: the lead card, new in the channel.
func (n *Notifier) PostCard(ctx context.Context, card *crm.LeadCard) (string, error) {
	if card == nil {
		return "", fmt.Errorf("slack: post card: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	channel, ts, err := n.sendCard(ctx, n.channel, slackapi.MsgOptionPost(), card,
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{EventType: cardEvent, EventPayload: map[string]any{"lead_id": card.Lead.ID}}))
	if err != nil {
		return "", fmt.Errorf("slack: post card for lead %d: %w", card.Lead.ID, err)
	}
	if channel == "" {
		channel = n.channel
	}
	return channel + ":" + ts, nil
}

// cardEvent is the message metadata event type of a lead card; its
// payload names the lead, which is what FindCard looks for.
const cardEvent = "voronka_lead_card"

// findPages bounds FindCard's walk back through the channel: an alert is
// interrupted seconds before it runs again, so its card is among the
// latest messages, and a busier channel than a thousand messages in that
// time paces cards at a second each anyway.
const findPages = 5

var _ crm.CardFinder = (*Notifier)(nil)

// FindCard implements crm.CardFinder: the channel's latest messages are
// searched for the card whose metadata names leadID. It needs the app's
// channels:history scope (groups:history for a private channel); without
// it, or when the channel cannot be read, the card is reported missing
// and posted again, which is the behaviour without FindCard.
func (n *Notifier) FindCard(ctx context.Context, leadID int64) (string, bool, error) {
	cursor := ""
	for range findPages {
		resp, err := n.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: n.channel, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
		})
		var se slackapi.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "not_in_channel" || se.Err == "channel_not_found") {
			n.opts.Logger.WarnContext(ctx, "slack: cannot read the channel to find a card, posting again", "lead_id", leadID, "err", err)
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("slack: find card for lead %d: %w", leadID, err)
		}
		for _, m := range resp.Messages {
			if m.Metadata.EventType != cardEvent {
				continue
			}
			if id, ok := m.Metadata.EventPayload["lead_id"].(float64); ok && int64(id) == leadID {
				// conversations.history takes the channel's id, so the
				// configured channel is one (a name fails above).
				return n.channel + ":" + m.Timestamp, true, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
	return "", false, nil
}

// UpdateCard implements crm.SalesNotifier: the card at ref, redrawn in
// place. A card that no longer exists (deleted in Slack, a channel gone)
// is an ENOTFOUND, so the caller can post a new one instead of retrying.
func (n *Notifier) UpdateCard(ctx context.Context, ref string, card *crm.LeadCard) error {
	if card == nil {
		return fmt.Errorf("slack: update card: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	channel, ts, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("slack: update card for lead %d: %w", card.Lead.ID, err)
	}
	if _, _, err := n.sendCard(ctx, channel, slackapi.MsgOptionUpdate(ts), card); err != nil {
		return fmt.Errorf("slack: update card for lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Escalate implements crm.SalesNotifier. The re-announcement is a reply in
// the card's thread broadcast to the channel (reply_broadcast): one
// message that sits under the card, where the lead's history is, and also
// shows in the channel as new, with the heads of sales mentioned and the
// card's buttons, so anyone can claim it from there. Without a card (ref
// empty) it is a plain channel message.
func (n *Notifier) Escalate(ctx context.Context, ref string, card *crm.LeadCard, heads []crm.Manager) error {
	if card == nil {
		return fmt.Errorf("slack: escalate: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	text := escalationText(card, heads, n.opts.Language)
	if err := n.followUp(ctx, ref, text, card, true); err != nil {
		return fmt.Errorf("slack: escalate lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Remind implements crm.SalesNotifier: a reply in the card's thread that
// mentions the rep (the mention is what notifies them; the channel need not
// see it again), with the card's buttons so Contacted is one press away.
func (n *Notifier) Remind(ctx context.Context, ref string, card *crm.LeadCard, rep crm.Manager) error {
	if card == nil {
		return fmt.Errorf("slack: remind: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	if err := n.followUp(ctx, ref, reminderText(card, rep, n.opts.Language), card, false); err != nil {
		return fmt.Errorf("slack: remind about lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Digest implements crm.SalesNotifier: one message listing the leads, see
// digestBlocks. An empty list posts nothing: a daily "no warm leads" is
// noise in a sales channel.
func (n *Notifier) Digest(ctx context.Context, title string, cards []*crm.LeadCard) error {
	cards = nonNil(cards)
	if len(cards) == 0 {
		return nil
	}
	_, _, err := n.send(ctx, n.channel,
		slackapi.MsgOptionPost(),
		slackapi.MsgOptionText(digestText(title, cards, n.opts.Language), false),
		slackapi.MsgOptionBlocks(digestBlocks(title, cards, n.opts.format())...),
		slackapi.MsgOptionDisableLinkUnfurl(),
	)
	if err != nil {
		return fmt.Errorf("slack: post digest of %d leads: %w", len(cards), err)
	}
	return nil
}

func nonNil(cards []*crm.LeadCard) []*crm.LeadCard {
	out := cards[:0:0]
	for _, c := range cards {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// followUp posts text with the card's buttons in the card's thread, or in
// the channel when there is no card.
func (n *Notifier) followUp(ctx context.Context, ref, text string, card *crm.LeadCard, broadcast bool) error {
	channel, ts := n.channel, ""
	if ref != "" {
		var err error
		if channel, ts, err = parseRef(ref); err != nil {
			return err
		}
	}
	build := func(withTelegram bool) []slackapi.MsgOption {
		opts := []slackapi.MsgOption{
			slackapi.MsgOptionPost(),
			slackapi.MsgOptionText(text, false),
			slackapi.MsgOptionBlocks(followUpBlocks(text, card, withTelegram, n.opts.Language)...),
			slackapi.MsgOptionDisableLinkUnfurl(),
		}
		if ts != "" {
			opts = append(opts, slackapi.MsgOptionTS(ts))
			if broadcast {
				opts = append(opts, slackapi.MsgOptionBroadcast())
			}
		}
		return opts
	}
	_, _, err := n.send(ctx, channel, build(true)...)
	if isInvalidBlocks(err) && hasTelegramScheme(card) {
		n.opts.Logger.WarnContext(ctx, "slack: blocks refused, sending again without the tg:// link", "lead_id", card.Lead.ID)
		_, _, err = n.send(ctx, channel, build(false)...)
	}
	return err
}

// sendCard posts or updates (mode) a card. Should Slack refuse the blocks
// and the card link to tg:// (a scheme Slack's documentation neither
// allows nor forbids for buttons), it sends the card once more without the
// link: a card without it beats no card.
func (n *Notifier) sendCard(ctx context.Context, channel string, mode slackapi.MsgOption, card *crm.LeadCard, extra ...slackapi.MsgOption) (string, string, error) {
	build := func(withTelegram bool) []slackapi.MsgOption {
		return append([]slackapi.MsgOption{
			mode,
			slackapi.MsgOptionText(cardText(card, n.opts.format()), false),
			slackapi.MsgOptionBlocks(cardBlocks(card, n.opts.format(), withTelegram)...),
			slackapi.MsgOptionDisableLinkUnfurl(),
		}, extra...)
	}
	respChannel, ts, err := n.send(ctx, channel, build(true)...)
	if isInvalidBlocks(err) && hasTelegramScheme(card) {
		n.opts.Logger.WarnContext(ctx, "slack: blocks refused, sending again without the tg:// link", "lead_id", card.Lead.ID)
		respChannel, ts, err = n.send(ctx, channel, build(false)...)
	}
	return respChannel, ts, err
}

func isInvalidBlocks(err error) bool {
	var se slackapi.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "invalid_blocks" || se.Err == "invalid_blocks_format")
}

// parseRef splits "<channel>:<ts>". The last colon separates them, since a
// Slack ts never holds one.
func parseRef(ref string) (channel, ts string, err error) {
	i := strings.LastIndexByte(ref, ':')
	if i <= 0 || i == len(ref)-1 {
		return "", "", crm.Errorf(crm.EINVALID, "card reference %q is not <channel>:<ts>", ref)
	}
	return ref[:i], ref[i+1:], nil
}

// send makes one chat.* call with the channel's rate limit and retries and
// returns the channel and ts Slack answered with.
func (n *Notifier) send(ctx context.Context, channel string, options ...slackapi.MsgOption) (string, string, error) {
	var respChannel, ts string
	err := n.do(ctx, channel, func(ctx context.Context) error {
		var err error
		respChannel, ts, _, err = n.api.SendMessageContext(ctx, channel, options...)
		return err
	})
	if err != nil {
		return "", "", translate(err)
	}
	return respChannel, ts, nil
}

// do runs call until it succeeds, fails for good or runs out of attempts.
// Before every attempt it reserves a token from the channel's bucket and
// sleeps the wait, as bot.Limiter requires.
func (n *Notifier) do(ctx context.Context, channel string, call func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := n.wait(ctx, channel); err != nil {
			return err
		}
		err := call(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay, retry := n.classify(err, attempt)
		if !retry || attempt >= n.opts.MaxAttempts {
			return err
		}
		n.opts.Logger.WarnContext(ctx, "slack: retrying call",
			"channel", channel, "attempt", attempt, "delay", delay, "err", err)
		if err := n.opts.Sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// classify says whether a failed call may succeed if tried again, and
// after how long: Retry-After for a 429, exponential backoff for a 5xx, a
// Slack-side internal error, a network failure or an unreadable answer (a
// proxy's error page). A refusal (channel_not_found, invalid_blocks,
// invalid_auth…) will not change by retrying.
func (n *Notifier) classify(err error, attempt int) (time.Duration, bool) {
	backoff := n.opts.Backoff << (attempt - 1)
	if backoff <= 0 || backoff > maxBackoff {
		backoff = maxBackoff
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter <= 0 {
			return backoff, true
		}
		return rl.RetryAfter, rl.RetryAfter <= n.opts.MaxRetryAfter
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) {
		return backoff, sc.Retryable()
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "internal_error", "fatal_error", "service_unavailable", "ratelimited":
			return backoff, true
		}
		return 0, false
	}
	return backoff, true
}

// translate gives a refusal that means "this message or channel is gone"
// the domain's ENOTFOUND, so crm can decide without knowing Slack. The
// Slack error stays in the chain for logs and errors.As.
func translate(err error) error {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "message_not_found", "channel_not_found", "thread_not_found", "is_archived", "cant_update_message":
			return fmt.Errorf("%w: %w", crm.Errorf(crm.ENOTFOUND, "the Slack message or channel is gone (%s)", se.Err), err)
		}
	}
	return err
}

// wait reserves a token from the channel's bucket and sleeps until it may
// be used. A limiter that fails (Redis down) is logged and passed: Slack's
// own 429 still protects the channel, while failing would silence the
// sales team.
func (n *Notifier) wait(ctx context.Context, channel string) error {
	d, err := n.limiter.Reserve(ctx, "slack:chan:"+channel, n.opts.PerChannelPerSecond, n.opts.ChannelBurst)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.opts.Logger.WarnContext(ctx, "slack: channel rate limit unavailable", "channel", channel, "err", err)
		return nil
	}
	if d <= 0 {
		return nil
	}
	return n.opts.Sleep(ctx, d)
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
