package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// In the sales group a lead's conversation is the chain of replies under
// its card: the customer's messages are posted as replies to the card, and
// a team member's reply to the card or to any message of the chain goes
// to the customer (a "note:" stays in the group).

var _ crm.ConversationNotifier = (*SalesGroup)(nil)

// PostMessage implements crm.ConversationNotifier: m as a reply to the
// card at cardRef.
func (g *SalesGroup) PostMessage(ctx context.Context, cardRef string, card *crm.LeadCard, m *crm.Message) (string, error) {
	chatID, cardID, err := parseRef(cardRef)
	if err != nil {
		return "", err
	}
	msg := bot.Message{ChatID: chatID, Text: groupMessageText(card, m), ReplyTo: cardID}
	if thread := threadOf(cardRef); thread != 0 {
		// In the lead's topic: the conversation is the topic itself.
		msg.ReplyTo, msg.ThreadID = 0, thread
	}
	id, err := g.sender.Send(ctx, msg)
	if err != nil {
		return "", fmt.Errorf("post message %d of lead %d: %w", m.ID, m.LeadID, err)
	}
	return formatRef(chatID, id), nil
}

// EditMessage implements crm.ConversationNotifier: the bot's message at
// ref redrawn from m (one deleted from the group is left alone).
func (g *SalesGroup) EditMessage(ctx context.Context, _ string, ref string, card *crm.LeadCard, m *crm.Message) error {
	chatID, msgID, err := parseRef(ref)
	if err != nil {
		return err
	}
	_, err = g.sender.Send(ctx, bot.Message{ChatID: chatID, Text: groupMessageText(card, m), EditMessageID: msgID})
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == 400 && (strings.Contains(ae.Description, "message to edit not found") || strings.Contains(ae.Description, "not modified")) {
		return nil
	}
	return err
}

// ShowDelivery implements crm.ConversationNotifier: a short reply to the
// message saying whether the customer got it, and why not.
func (g *SalesGroup) ShowDelivery(ctx context.Context, cardRef string, ref string, m *crm.Message, copy bool) error {
	if copy {
		return nil // the copy says it in its text
	}
	chatID, msgID, err := parseRef(ref)
	if err != nil {
		return err
	}
	text := "✓ Delivered"
	if m.Delivery != crm.DeliveryDelivered {
		text = "✗ " + deliveryText(m)
	}
	_, err = g.sender.Send(ctx, bot.Message{ChatID: chatID, Text: text, ReplyTo: msgID, ThreadID: threadOf(cardRef)})
	return err
}

// deliveryText says, in the team's words, why a message did not reach the
// customer.
func deliveryText(m *crm.Message) string {
	switch m.Delivery {
	case crm.DeliveryBlocked:
		return "Not delivered: the customer has blocked the bot."
	case crm.DeliveryStopped:
		return "Not delivered: the customer opted out with /stop."
	case crm.DeliveryErased:
		return "Not delivered: the customer asked to be forgotten (/forget)."
	case crm.DeliveryUnknown:
		return "May not have been delivered: the relay was cut short. Check with the customer before repeating it."
	}
	return "Not delivered: Telegram refused the message."
}

// groupMessageText is a conversation message as the group reads it:
// plain text, who wrote it first.
func groupMessageText(card *crm.LeadCard, m *crm.Message) string {
	var who string
	switch m.Direction {
	case crm.FromCustomer:
		who = "👤 Customer"
		if card != nil && !card.Erased && card.Contact.Name() != "" {
			who = "👤 " + card.Contact.Name()
		}
	case crm.TeamNote:
		who = "📝 " + m.Author + " (note)"
	default:
		who = "💬 " + m.Author + " → customer"
	}
	if m.ErasedAt != nil {
		return who + ": (erased at the customer's request)"
	}
	if m.DeletedAt != nil {
		return who + ": (deleted)"
	}
	body := m.Text
	body = bot.MessageBody(m, body)
	text := who + ": " + body
	if m.EditedAt != nil {
		text += " (edited)"
	}
	switch {
	case m.Direction != crm.ToCustomer || !m.Delivery.Final():
	case m.Delivery == crm.DeliveryDelivered:
		text += "\n✓ Delivered"
	default:
		text += "\n✗ " + deliveryText(m)
	}
	return clipText(text, 4000)
}

// Conversation takes a team member's message in a lead's conversation
// (crm.Conversations).
type Conversation interface {
	Write(ctx context.Context, tm crm.TeamMessage) (*crm.Message, error)
	// Revise takes an edit of the member's message at ref.
	Revise(ctx context.Context, channel, ref, text string, deleted bool, key string) error
}

// edit passes a team member's edit of a relayed reply on to the customer
// (Telegram tells bots of edits, not of deletions). An edit of anything
// else is ignored.
func (h *SalesGroupHandler) edit(ctx context.Context, in salesInput) error {
	if h.conv == nil || in.messageID == 0 || strings.TrimSpace(in.text) == "" {
		return nil
	}
	if _, ok := h.desk.ManagerByTelegram(in.user.ID); !ok {
		return nil
	}
	err := h.conv.Revise(ctx, "telegram", formatRef(in.chatID, in.messageID), in.text, false, strconv.Itoa(in.editedAt))
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil
	}
	return err
}

// SetConversation makes replies in the group reach customers.
func (h *SalesGroupHandler) SetConversation(c Conversation) { h.conv = c }

// reply takes a team member's reply to a message of the bot's in the
// group: a card or a message of a lead's conversation. handled is false
// when it is neither (the caller goes on).
func (h *SalesGroupHandler) reply(ctx context.Context, in salesInput) (bool, error) {
	if h.conv == nil || in.repliedID == 0 || strings.TrimSpace(in.text) == "" {
		return false, nil
	}
	m, ok := h.desk.ManagerByTelegram(in.user.ID)
	if !ok || in.user.ID == 0 {
		return false, nil
	}
	ref := "" // without an id the message cannot be told from another: not de-duplicated
	if in.messageID != 0 {
		ref = formatRef(in.chatID, in.messageID)
	}
	_, err := h.conv.Write(ctx, crm.TeamMessage{Channel: "telegram", CardRef: formatRef(in.chatID, in.repliedID),
		Ref: ref, By: m, Text: in.text})
	switch code := crm.ErrorCode(err); {
	case err == nil:
		return true, nil
	case code == crm.ENOTFOUND:
		return false, nil
	case code == crm.EFORBIDDEN || code == crm.EINVALID:
		_, serr := h.sender.Send(ctx, bot.Message{ChatID: in.chatID, Text: crm.ErrorMessage(err), ReplyTo: in.messageID})
		return true, serr
	}
	return true, err
}
