package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/voronka/voronka/crm"
)

// Notify implements crm.SalesNotifier: text about a lead (a detractor's
// score, say) as a reply under its card, broadcast to the channel, with
// the members mentioned.
func (n *Notifier) Notify(ctx context.Context, ref string, card *crm.LeadCard, text string, mention []crm.Manager) error {
	if card == nil {
		return fmt.Errorf("slack: notify: %w", crm.Errorf(crm.EINVALID, "no card"))
	}
	if err := n.followUp(ctx, ref, notifyText(text, mention), card, true); err != nil {
		return fmt.Errorf("slack: notify about lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

func notifyText(text string, members []crm.Manager) string {
	var b strings.Builder
	b.WriteString(escape(text))
	if len(members) > 0 {
		b.WriteString(" ")
		for i, m := range members {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(mention(m))
		}
	}
	return b.String()
}
