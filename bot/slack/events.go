package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/voronka/voronka/crm"
)

// Conversation takes a team member's message in a lead's thread
// (crm.Conversations).
type Conversation interface {
	Write(ctx context.Context, tm crm.TeamMessage) (*crm.Message, error)
	// Revise takes an edit (text) or deletion of the member's message
	// at ref; key tells edits apart.
	Revise(ctx context.Context, channel, ref, text string, deleted bool, key string) error
}

// EventOptions tune Events. Zero values take the defaults.
type EventOptions struct {
	// Now is the clock the signature window is checked against.
	Now    func() time.Time
	Logger *slog.Logger
	// CallTimeout bounds the ephemeral message that tells a member why a
	// reply was not sent (2s), so the answer stays within Slack's 3s.
	CallTimeout time.Duration
}

// Events is the http.Handler for /slack/events, Slack's Events API: a
// team member's message in the thread of a lead card goes to the
// customer (crm.Conversations.Write).
//
// The request is signed (401 otherwise); the url_verification challenge
// is answered; only people's new messages in a card's thread are taken:
// the bot's own posts, other apps, channel messages outside a thread and
// threads of other messages are ignored with a 200. An event is handled
// once: Slack retries one it got no 200 for within 3 seconds, and the
// message's own reference (channel and ts) is unique in the store, so a
// retry, or the same message in a second event, is the stored message.
// The handler only stores the message with its relay job (one short
// transaction), so it answers well within Slack's 3 seconds; the relay
// runs from the queue.
type Events struct {
	desk   crm.SalesDesk
	conv   Conversation
	api    *slackapi.Client
	secret string
	opts   EventOptions
}

var _ http.Handler = (*Events)(nil)

// NewEvents returns the handler.
func NewEvents(desk crm.SalesDesk, conv Conversation, client *Client, signingSecret string, opts EventOptions) *Events {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Second
	}
	return &Events{desk: desk, conv: conv, api: client.lib(), secret: signingSecret, opts: opts}
}

// maxEventBody bounds an event; Slack's are a few kilobytes.
const maxEventBody = 1 << 20

// ServeHTTP implements http.Handler.
func (h *Events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := readSigned(w, r, maxEventBody, h.secret, h.opts.Now(), h.opts.Logger, "event")
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		h.opts.Logger.WarnContext(r.Context(), "slack: unreadable event", "err", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var c struct {
			Challenge string `json:"challenge"`
		}
		_ = json.Unmarshal(body, &c)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(c.Challenge))
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	var eventID string
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.message(r.Context(), eventID, msg); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "slack: event failed", "event_id", eventID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// message takes one message event: a person's new message in a thread
// is a reply; an edit or a deletion of one follows it to the customer.
func (h *Events) message(ctx context.Context, eventID string, m *slackevents.MessageEvent) error {
	switch m.SubType {
	case "", "thread_broadcast", "file_share":
	case "message_changed":
		if m.Message == nil || m.Message.BotID != "" || m.Message.User == "" {
			return nil
		}
		key := m.EventTimeStamp
		if m.Message.Edited != nil && m.Message.Edited.Timestamp != "" {
			key = m.Message.Edited.Timestamp
		}
		return h.revise(ctx, m.Channel, m.Message.Timestamp, m.Message.Text, false, key)
	case "message_deleted":
		if m.DeletedTimeStamp == "" {
			return nil
		}
		return h.revise(ctx, m.Channel, m.DeletedTimeStamp, "", true, "deleted")
	default:
		return nil
	}
	if m.BotID != "" || m.User == "" || m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp {
		return nil
	}
	by, ok := h.desk.ManagerBySlack(m.User)
	if !ok {
		// Someone in the channel who is not on the team: their words
		// stay in Slack.
		return nil
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		return nil
	}
	_, err := h.conv.Write(ctx, crm.TeamMessage{Channel: "slack", CardRef: m.Channel + ":" + m.ThreadTimeStamp,
		Ref: m.Channel + ":" + m.TimeStamp, EventID: eventID, By: by, Text: text, At: h.opts.Now()})
	switch crm.ErrorCode(err) {
	case "":
		return nil
	case crm.ENOTFOUND:
		return nil // a thread that is not a lead's
	case crm.EFORBIDDEN, crm.EINVALID:
		h.tell(ctx, m.Channel, m.ThreadTimeStamp, m.User, crm.ErrorMessage(err))
		return nil
	}
	return err
}

// revise passes an edit or a deletion on; a message that is not a
// relayed one (channel chatter, the bot's posts) is ignored.
func (h *Events) revise(ctx context.Context, channel, ts, text string, deleted bool, key string) error {
	err := h.conv.Revise(ctx, "slack", channel+":"+ts, text, deleted, key)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil
	}
	return err
}

// tell shows the member, and only them, why their message did not go.
func (h *Events) tell(ctx context.Context, channel, threadTS, user, text string) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
	defer cancel()
	if _, err := h.api.PostEphemeralContext(ctx, channel, user, slackapi.MsgOptionText(text, false), slackapi.MsgOptionTS(threadTS)); err != nil {
		h.opts.Logger.WarnContext(ctx, "slack: could not tell the member why", "err", err)
	}
}
