package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/voronka/voronka/crm"
)

// CampaignOutreach writes campaign messages: the variant's texts in the
// customer's language (the campaign's first language when theirs is not
// there), {name} filled in, and the buttons as cmp:<send>:<n>.
type CampaignOutreach struct {
	Leads  crm.LeadStore
	Sender Sender
}

var _ crm.CampaignOutreach = CampaignOutreach{}

// SendCampaign implements crm.CampaignOutreach; it answers the id of the
// last message.
func (o CampaignOutreach) SendCampaign(ctx context.Context, r crm.Reach, c *crm.Campaign, s *crm.CampaignSend, msgs []crm.CampaignMessage) (int, error) {
	contact, err := o.Leads.Contact(ctx, s.ContactID)
	if err != nil {
		return 0, err
	}
	lang := campaignLang(c.Languages, contact.Language)
	name := strings.TrimSpace(contact.FirstName)
	if name == "" {
		name = map[string]string{"ru": "Здравствуйте", "en": "Hello"}[lang]
	}
	fill := strings.NewReplacer("{name}", name, "{first_name}", contact.FirstName, "{campaign}", c.Name, "{manager}", "")
	id, n := 0, 0
	for _, m := range msgs {
		msg := Message{ChatID: r.ChatID, Text: fill.Replace(pick(m.Text, lang, c.Languages))}
		for _, b := range m.Buttons {
			msg.Buttons = append(msg.Buttons, []Button{{Text: pick(b.Text, lang, c.Languages), Data: fmt.Sprintf("cmp:%d:%d", s.ID, n)}})
			n++
		}
		if id, err = o.Sender.Send(ctx, msg); err != nil {
			return id, err
		}
	}
	return id, nil
}

// campaignLang is the customer's language if the campaign speaks it,
// else the campaign's first.
func campaignLang(langs []string, tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	if slices.Contains(langs, base) {
		return base
	}
	if len(langs) > 0 {
		return langs[0]
	}
	return "ru"
}

func pick(texts map[string]string, lang string, langs []string) string {
	if t := texts[lang]; t != "" {
		return t
	}
	for _, l := range langs {
		if t := texts[l]; t != "" {
			return t
		}
	}
	return ""
}

// BulkLane is the campaigns' lane of a shared Sender: at most Slots of
// its messages hold a rate-limit reservation at a time (per replica), so
// the bot-wide bucket never has more than Slots bulk messages queued
// ahead of a live dialogue's reply. At Telegram's 30/s and 4 slots that
// is ~130ms per replica; a reply waits for those and nothing else, while
// the lane still fills every slot the replies leave free.
type BulkLane struct {
	Sender
	slots chan struct{}
}

// NewBulkLane wraps s; slots <= 0 means 4.
func NewBulkLane(s Sender, slots int) *BulkLane {
	if slots <= 0 {
		slots = 4
	}
	return &BulkLane{Sender: s, slots: make(chan struct{}, slots)}
}

// Send implements Sender, one of Slots at a time.
func (l *BulkLane) Send(ctx context.Context, m Message) (int, error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-l.slots }()
	return l.Sender.Send(ctx, m)
}
