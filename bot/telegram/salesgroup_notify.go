package telegram

import (
	"context"
	"fmt"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Notify implements crm.SalesNotifier: text about a lead (a detractor's
// score, say) in the group, naming the members, with the card's buttons.
func (g *SalesGroup) Notify(ctx context.Context, _ string, card *crm.LeadCard, text string, mention []crm.Manager) error {
	if card == nil {
		return fmt.Errorf("notify: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	if names := managerNames(mention); names != "" {
		text += "\n" + names
	}
	if _, err := g.send(ctx, bot.Message{ChatID: g.chatID, Text: text}, cardButtons(card, g.opts.Language)); err != nil {
		return fmt.Errorf("notify about lead %d: %w", card.Lead.ID, err)
	}
	return nil
}
