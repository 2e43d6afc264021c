package bot

import (
	"strings"

	"github.com/voronka/voronka/crm"
)

// DeliveryText says, in lang, what became of a team member's message to
// the customer: delivered, or why not (the Telegram sales group and
// Slack's card threads both write it).
func DeliveryText(lang string, m *crm.Message) string {
	switch m.Delivery {
	case crm.DeliveryDelivered:
		return TeamText(lang, "conv.delivered")
	case crm.DeliveryBlocked:
		return TeamText(lang, "conv.blocked")
	case crm.DeliveryStopped:
		return TeamText(lang, "conv.stopped")
	case crm.DeliveryErased:
		return TeamText(lang, "conv.erased")
	case crm.DeliveryUnknown:
		return TeamText(lang, "conv.unknown")
	}
	return TeamText(lang, "conv.refused")
}

// MessageBody is what a conversation message says, in lang: its text,
// after a word for what it carries (a photo, a file, a voice note, a
// location, a shared contact, a request for a person). text is the
// message's text as the channel escapes it.
func MessageBody(lang string, m *crm.Message, text string) string {
	switch m.Kind {
	case crm.MessageHandoff:
		return strings.TrimSpace(TeamText(lang, "conv.handoff") + " " + text)
	case crm.MessagePhoto:
		return strings.TrimSpace(TeamText(lang, "conv.photo") + " " + text)
	case crm.MessageDocument:
		return strings.TrimSpace(TeamText(lang, "conv.file") + " " + text)
	case crm.MessageVoice:
		return TeamText(lang, "conv.voice")
	case crm.MessageLocation:
		return TeamText(lang, "conv.location") + " https://maps.google.com/?q=" + m.Media
	case crm.MessageContact:
		return TeamText(lang, "conv.contact") + " " + text
	}
	return text
}
