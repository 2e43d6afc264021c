package slack

import (
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// maxDigestLeads keeps a digest within Slack's 50 blocks a message (a
// header, one section a lead, a closing context line).
const maxDigestLeads = 45

// escalationText re-announces an unclaimed lead: how long it has waited,
// who it is, and the heads of sales by mention so that Slack notifies them.
// The wait counts from qualification, when the lead turned hot and the
// card went out, and from creation for a lead that never had a card.
func escalationText(card *crm.LeadCard, heads []crm.Manager, lang string) string {
	since := card.Lead.CreatedAt
	if card.Lead.QualifiedAt != nil {
		since = *card.Lead.QualifiedAt
	}
	who := bot.TeamText(lang, "slack.anyone")
	if len(heads) > 0 {
		names := make([]string, 0, len(heads))
		for _, h := range heads {
			names = append(names, mention(h))
		}
		who = strings.Join(names, " ")
	}
	f := bot.Format{Lang: lang}
	v := bot.NewCard(card, f)
	return "⏰ " + bot.TeamTextf(lang, "slack.unclaimed", f.Age(card.Now.Sub(since)), v.Mark, escape(v.Name), who)
}

// reminderText nudges the rep who claimed a lead and has not yet marked it
// contacted.
func reminderText(card *crm.LeadCard, rep crm.Manager, lang string) string {
	f := bot.Format{Lang: lang}
	s := "⏳ " + bot.TeamTextf(lang, "slack.waiting", mention(rep), escape(bot.NewCard(card, f).Name))
	if card.ClaimedAt != nil {
		s += ": " + bot.TeamTextf(lang, "slack.claimed_ago", f.Ago(card.Now, *card.ClaimedAt))
	}
	return s + ". " + bot.TeamTextf(lang, "slack.press_contacted", bot.ActionLabel(lang, crm.ActContacted))
}

// followUpBlocks are an escalation or a reminder: the line itself and the
// card's buttons, so whoever is pinged can act right there without
// scrolling back to the card.
func followUpBlocks(text string, card *crm.LeadCard, withTelegram bool, lang string) []slackapi.Block {
	blocks := []slackapi.Block{slackapi.NewSectionBlock(mrkdwn(truncate(text, maxSection)), nil, nil)}
	if buttons := cardButtons(card, withTelegram, lang); len(buttons) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock(blockActions, buttons...))
	}
	return blocks
}

// digestBlocks list several leads in one message: one line each with name,
// temperature, score and source, a link to the customer's Telegram when
// they have a public username, and a Claim button for a lead nobody has.
// There is no link to a lead card because digest leads have none: warm
// leads go to the digest instead of getting a card one by one.
func digestBlocks(title string, cards []*crm.LeadCard, f bot.Format) []slackapi.Block {
	lang := bot.NewCard(&crm.LeadCard{}, f).Lang
	if strings.TrimSpace(title) == "" {
		title = bot.TeamText(lang, "sheet.leads")
	}
	blocks := []slackapi.Block{slackapi.NewHeaderBlock(plain(truncate(title, maxHeader)))}
	for i, card := range cards {
		if i == maxDigestLeads {
			blocks = append(blocks, slackapi.NewContextBlock("",
				mrkdwn("…"+bot.TeamTextf(lang, "slack.digest_more", len(cards)-i))))
			break
		}
		var accessory *slackapi.Accessory
		if bot.StateOf(card) == bot.CardUnclaimed {
			accessory = slackapi.NewAccessory(claimButton(fmt.Sprint(card.Lead.ID), lang))
		}
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(digestLine(card, f)), nil, accessory))
	}
	return blocks
}

// digestLine is one lead of a digest, two lines of mrkdwn.
func digestLine(card *crm.LeadCard, f bot.Format) string {
	v := bot.NewCard(card, f)
	name := "*" + strings.ReplaceAll(escape(v.Name), "|", "¦") + "*"
	if u := telegramURL(card.Contact); strings.HasPrefix(u, "https://") {
		name = "<" + u + "|" + name + ">"
	}
	first := fmt.Sprintf("%s %s · %s · %s", v.Mark, name, bot.TeamTextf(v.Lang, "card.score", v.Score), escape(v.Source))
	second := v.Number + " · " + strings.ToLower(v.Stage)
	if v.Age != "" {
		second += " · " + lowerFirst(bot.TeamTextf(v.Lang, "card.arrived", v.Age, v.Arrived))
	}
	if v.OwnerName != "" {
		second += " · " + escape(lowerFirst(v.Owner))
	}
	if note := erasedNote(v); note != "" {
		second += " · " + note
	}
	return truncate(first+"\n"+second, maxSection)
}

// digestText is the fallback of a digest.
func digestText(title string, cards []*crm.LeadCard, lang string) string {
	names := make([]string, 0, min(len(cards), 10))
	for i, c := range cards {
		if i == 10 {
			names = append(names, "…")
			break
		}
		names = append(names, fmt.Sprintf("%s (%d)", bot.NewCard(c, bot.Format{Lang: lang}).Name, c.Lead.Score))
	}
	return escape(truncate(fmt.Sprintf("%s: %s: %s", title, bot.Count(lang, len(cards), "n.leads"), strings.Join(names, ", ")), maxFallback))
}
