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
	id, err := r.Sender.Send(ctx, Message{ChatID: to.ChatID, Text: signed(m, signature)})
	return int64(id), err
}

// Edit implements crm.CustomerRelay: the relayed message at
// m.ChatMessageID now says m.Text.
func (r Relay) Edit(ctx context.Context, to crm.Reach, m *crm.Message, signature string) error {
	_, err := r.Sender.Send(ctx, Message{ChatID: to.ChatID, Text: signed(m, signature), EditMessageID: int(m.ChatMessageID)})
	return err
}

// Delete implements crm.CustomerRelay: the relayed message is taken back.
func (r Relay) Delete(ctx context.Context, to crm.Reach, m *crm.Message) error {
	_, err := r.Sender.Send(ctx, Message{ChatID: to.ChatID, EditMessageID: int(m.ChatMessageID), Delete: true})
	return err
}

func signed(m *crm.Message, signature string) string {
	if signature == "" {
		return m.Text
	}
	return signature + ":\n" + m.Text
}
