package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

var (
	_ crm.ConversationNotifier = (*Notifier)(nil)
	_ crm.MessageFinder        = (*Notifier)(nil)
)

// messageEvent is the metadata event type of a relayed message; its
// payload names the message, which is what FindMessage looks for.
const messageEvent = "voronka_message"

// PostMessage implements crm.ConversationNotifier: m as a reply in the
// thread of the card at cardRef, with metadata naming the message.
func (n *Notifier) PostMessage(ctx context.Context, cardRef string, card *crm.LeadCard, m *crm.Message) (string, error) {
	channel, ts, err := parseRef(cardRef)
	if err != nil {
		return "", fmt.Errorf("slack: post message %d: %w", m.ID, err)
	}
	respChannel, msgTS, err := n.send(ctx, channel,
		slackapi.MsgOptionPost(),
		slackapi.MsgOptionTS(ts),
		slackapi.MsgOptionText(messageText(card, m), false),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{EventType: messageEvent, EventPayload: map[string]any{"message_id": m.ID}}),
	)
	if err != nil {
		return "", fmt.Errorf("slack: post message %d of lead %d: %w", m.ID, m.LeadID, err)
	}
	if respChannel == "" {
		respChannel = channel
	}
	return respChannel + ":" + msgTS, nil
}

// EditMessage implements crm.ConversationNotifier: the bot's post at ref
// redrawn from m. A post that is gone is an ENOTFOUND.
func (n *Notifier) EditMessage(ctx context.Context, _ string, ref string, card *crm.LeadCard, m *crm.Message) error {
	channel, ts, err := parseRef(ref)
	if err != nil {
		return err
	}
	if _, _, err := n.send(ctx, channel, slackapi.MsgOptionUpdate(ts), slackapi.MsgOptionText(messageText(card, m), false)); err != nil {
		return fmt.Errorf("slack: edit message %d: %w", m.ID, err)
	}
	return nil
}

var _ crm.MediaPoster = (*Notifier)(nil)

// PostMedia implements crm.MediaPoster: the customer's file uploaded into
// the card's thread (files:write scope).
func (n *Notifier) PostMedia(ctx context.Context, cardRef string, m *crm.Message, data []byte, name string) error {
	channel, ts, err := parseRef(cardRef)
	if err != nil {
		return err
	}
	err = n.do(ctx, channel, func(ctx context.Context) error {
		_, err := n.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
			Reader: bytes.NewReader(data), FileSize: len(data), Filename: name, Title: name,
			Channel: channel, ThreadTimestamp: ts,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("slack: upload the file of message %d: %w", m.ID, err)
	}
	return nil
}

// FindMessage implements crm.MessageFinder: the card's thread is read for
// the reply whose metadata names messageID (channels:history scope).
func (n *Notifier) FindMessage(ctx context.Context, cardRef string, messageID int64) (string, bool, error) {
	channel, ts, err := parseRef(cardRef)
	if err != nil {
		return "", false, err
	}
	cursor := ""
	for range findPages {
		msgs, more, next, err := n.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: ts, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
		})
		var se slackapi.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "not_in_channel" || se.Err == "channel_not_found" || se.Err == "thread_not_found") {
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("slack: find message %d: %w", messageID, err)
		}
		for _, m := range msgs {
			if m.Metadata.EventType != messageEvent {
				continue
			}
			if id, ok := m.Metadata.EventPayload["message_id"].(float64); ok && int64(id) == messageID {
				return channel + ":" + m.Timestamp, true, nil
			}
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	return "", false, nil
}

// ShowDelivery implements crm.ConversationNotifier: a ✅ on the message
// when the customer got it; otherwise a ❌ and a reply in the thread
// saying why, so that nobody believes it went out.
func (n *Notifier) ShowDelivery(ctx context.Context, cardRef, ref string, m *crm.Message, copy bool) error {
	channel, ts, err := parseRef(ref)
	if err != nil {
		return err
	}
	emoji := "white_check_mark"
	if m.Delivery != crm.DeliveryDelivered {
		emoji = "x"
	}
	err = n.do(ctx, channel, func(ctx context.Context) error {
		return n.api.AddReactionContext(ctx, emoji, slackapi.NewRefToMessage(channel, ts))
	})
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "already_reacted" || se.Err == "message_not_found") {
		// Marked before a retry, or the member deleted the message: the
		// thread note below still says what became of it.
		err = nil
	}
	if err != nil || m.Delivery == crm.DeliveryDelivered || copy {
		return err // a copy says why in its text
	}
	_, thread, err := parseRef(cardRef)
	if err != nil {
		return err
	}
	_, _, err = n.send(ctx, channel, slackapi.MsgOptionPost(), slackapi.MsgOptionTS(thread),
		slackapi.MsgOptionText(":x: "+DeliveryText(m), false))
	return err
}

// DeliveryText says, in the team's words, what became of a message.
func DeliveryText(m *crm.Message) string {
	switch m.Delivery {
	case crm.DeliveryDelivered:
		return "Delivered."
	case crm.DeliveryBlocked:
		return "Not delivered: the customer has blocked the bot."
	case crm.DeliveryStopped:
		return "Not delivered: the customer opted out with /stop."
	case crm.DeliveryErased:
		return "Not delivered: the customer asked to be forgotten (/forget)."
	case crm.DeliveryUnknown:
		return "May not have been delivered: the relay was cut short. Check with the customer before repeating it."
	default:
		return "Not delivered: Telegram refused the message."
	}
}

// messageText is a conversation message as the team reads it in the
// thread.
func messageText(card *crm.LeadCard, m *crm.Message) string {
	var who string
	switch m.Direction {
	case crm.FromCustomer:
		name := ""
		if card != nil && !card.Erased {
			name = card.Contact.Name()
		}
		who = "*Customer*"
		if name != "" {
			who = "*" + escape(name) + "* (customer)"
		}
	case crm.TeamNote:
		who = "📝 *" + escape(m.Author) + "* (note)"
	default:
		who = "*" + escape(m.Author) + "* → customer"
	}
	if m.ErasedAt != nil {
		return who + ": _erased at the customer's request_"
	}
	if m.DeletedAt != nil {
		return who + ": _deleted_"
	}
	body := escape(m.Text)
	body = bot.MessageBody(m, body)
	text := who + ": " + body
	if m.EditedAt != nil {
		text += " _(edited)_"
	}
	if m.Direction == crm.ToCustomer && m.Delivery.Final() && m.Delivery != crm.DeliveryDelivered {
		text += "\n:x: " + DeliveryText(m)
	}
	return text
}
