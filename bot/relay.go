package bot

import (
	"context"

	"github.com/voronka/voronka/crm"
)

// Relay sends a team member's message to the customer in their chat
// (crm.CustomerRelay). The customer sees the member's customer-facing
// name and the text, never which channel the member wrote in.
type Relay struct {
	Sender Sender
}

var _ crm.CustomerRelay = Relay{}

// Relay implements crm.CustomerRelay.
func (r Relay) Relay(ctx context.Context, to crm.Reach, m *crm.Message, signature string) (int64, error) {
	text := m.Text
	if signature != "" {
		text = signature + ":\n" + text
	}
	id, err := r.Sender.Send(ctx, Message{ChatID: to.ChatID, Text: text})
	return int64(id), err
}
