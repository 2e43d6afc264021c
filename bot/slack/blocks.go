package slack

import (
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Action ids of the card's buttons. They are the contract between the card
// and Interactions (and a test that presses a button by name), so they are
// the crm action kinds spelled the same way.
const (
	actionClaim     = string(crm.ActClaim)
	actionContacted = string(crm.ActContacted)
	actionWon       = string(crm.ActWon)
	actionLost      = string(crm.ActLost)
	actionReopen    = string(crm.ActReopen)
	// actionCallback is the Call back menu of a claimed card.
	actionCallback = "callback"
	// actionOpenTelegram is the link button. Slack posts an interaction for
	// link buttons too; Interactions acknowledges it and does nothing.
	actionOpenTelegram = "open_telegram"
)

// Block ids, fixed so that an update replaces the same blocks and so that
// tests can find them.
const (
	blockActions = "voronka_actions"
)

// Slack's limits on Block Kit text, in characters. A message with one text
// over its limit is refused whole (invalid_blocks).
const (
	maxHeader      = 150
	maxField       = 2000
	maxSection     = 3000
	maxFallback    = 3000 // Slack allows 40 000; a notification needs a line
	maxOptionText  = 75
	maxOptionValue = 150
)

// cardBlocks renders a lead card: bot.NewCard's facts laid out as Block
// Kit. It is pure: everything it shows comes from card (including
// card.Now, the time the card is rendered for) and loc, the time zone the
// sales team reads clock times in. withTelegram adds the "Open in
// Telegram" link button; it exists so a card can be sent again without
// the tg:// link should Slack ever refuse that scheme.
//
// Layout, top to bottom:
//
//	header   🔥 Ivan Petrov · Lead #42 (🔥 Lead #42 once the customer is forgotten)
//	context  🔒 Customer data erased at their request (erased cards only)
//	section  fields: Contact | Score | Temperature | Source | Landing |
//	         Arrived | Stage | Assignee | SLA (Landing and SLA only when set)
//	section  Score 75, why: one line per answer, "Budget: 1 500 000 (+30)"
//	section  the closing line of a won or lost lead
//	context  "<@U0ANNA>, this lead is yours…" for an assigned, unclaimed lead
//	actions  Claim | Contacted, Won, Lost | Won, Lost, and Open in Telegram
//	context  Lead #42 · flow qualify v1
func cardBlocks(card *crm.LeadCard, f bot.Format, withTelegram bool) []slackapi.Block {
	v := bot.NewCard(card, f)
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(plain(truncate(v.Title(), maxHeader))),
	}
	if note := erasedNote(v); note != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(note)))
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, cardFields(v), nil))
	if why := whyText(v); why != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(why), nil, nil))
	}
	if closing := closingLine(v); closing != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(closing), nil, nil))
	}
	if nudge := assigneeNudge(card, v.Lang); nudge != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(nudge)))
	}
	if buttons := cardButtons(card, withTelegram, v.Lang); len(buttons) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock(blockActions, buttons...))
	}
	if win := bot.WinLinesIn(card.Win, v.Lang); len(win) > 0 {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(escape("🎯 "+strings.Join(win, "\n")))))
	}
	blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(footer(v))))
	return blocks
}

// cardText is the plain-text fallback of a card: what a notification, a
// screen reader and an old client show.
func cardText(card *crm.LeadCard, f bot.Format) string {
	v := bot.NewCard(card, f)
	parts := []string{
		bot.TeamTextf(v.Lang, "slack.fallback", v.Mark, v.Temperature, v.Name),
		bot.TeamTextf(v.Lang, "card.score", v.Score),
		strings.ToLower(v.Stage),
	}
	if v.Erased != "" {
		parts = append(parts, v.Erased)
	}
	if v.OwnerName != "" {
		parts = append(parts, lowerFirst(v.Owner))
	}
	return escape(truncate(strings.Join(parts, ", "), maxFallback))
}

// lowerFirst puts a sentence inside another: "Claimed by …" → "claimed by …".
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToLower(string(r[:1])) + string(r[1:])
}

// erasedNote is the card's erased note as mrkdwn with its mark; "" for a
// card that was not erased.
func erasedNote(v bot.Card) string {
	if v.Erased == "" {
		return ""
	}
	return "🔒 " + escape(v.Erased)
}

// cardFields are the facts a rep scans before calling: who, how good, from
// where, how long ago, who has it.
func cardFields(v bot.Card) []*slackapi.TextBlockObject {
	t := func(key string) string { return bot.TeamText(v.Lang, "slack."+key) }
	fields := []*slackapi.TextBlockObject{
		field(t("contact"), contactText(v)),
		field(t("score"), strconv.Itoa(v.Score)),
		field(t("temperature"), v.Mark+" "+v.Temperature),
		field(t("source"), escape(v.Source)),
	}
	if v.Landing != "" {
		fields = append(fields, field(t("landing"), escape(v.Landing)))
	}
	arrived := "—"
	if v.Age != "" {
		arrived = v.Age + " · " + v.Arrived
	}
	fields = append(fields, field(t("arrived"), arrived))
	stage := v.Stage
	if v.Contacted != "" && v.State == bot.CardContacted {
		stage += " · " + v.Contacted
	}
	fields = append(fields,
		field(t("stage"), stage),
		field(t("assignee"), escape(v.Owner)),
	)
	if v.Escalations > 0 {
		fields = append(fields, field("SLA", "⚠️ "+bot.Count(v.Lang, v.Escalations, "n.escalations")))
	}
	return fields
}

// field is one labelled cell of the card; value is mrkdwn already escaped.
func field(label, value string) *slackapi.TextBlockObject {
	if strings.TrimSpace(value) == "" {
		value = "—"
	}
	return mrkdwn(truncate("*"+label+"*\n"+value, maxField))
}

func contactText(v bot.Card) string {
	var lines []string
	for _, s := range []string{v.Phone, v.Email} {
		if s != "" {
			lines = append(lines, escape(s))
		}
	}
	if v.Username != "" {
		lines = append(lines, "@"+escape(v.Username))
	}
	return strings.Join(lines, "\n")
}

// assigneeNudge mentions the rep a lead was assigned to, so that routing's
// choice reaches them as a Slack notification and not only as a line on a
// card in a busy channel.
func assigneeNudge(card *crm.LeadCard, lang string) string {
	if card.Assignee == nil || bot.StateOf(card) != bot.CardUnclaimed || !slackIDRE.MatchString(card.Assignee.SlackID) {
		return ""
	}
	return bot.TeamTextf(lang, "slack.yours", mention(*card.Assignee), bot.ActionLabel(lang, crm.ActClaim))
}

// whyText explains the score answer by answer, so a rep sees what the
// customer said before calling and why the bot thinks it is hot.
func whyText(v bot.Card) string {
	if len(v.Answers) == 0 {
		return ""
	}
	head := "*" + bot.TeamTextf(v.Lang, "slack.why", v.Score) + "*"
	var b strings.Builder
	b.WriteString(head)
	for i, a := range v.Answers {
		line := "\n• " + answerLine(a)
		rest := "\n…" + bot.TeamTextf(v.Lang, "digest.more", len(v.Answers)-i)
		if b.Len()+len(line)+len(rest) > maxSection {
			b.WriteString(rest)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// answerLine is "Budget: 1 500 000 (+30)". A question that already ends in
// a question mark is not followed by a colon.
func answerLine(a crm.CardAnswer) string {
	q := strings.TrimRight(strings.TrimSpace(a.Question), " :")
	v := a.Value
	if v == "" {
		v = "—"
	}
	v = truncate(v, 300)
	sep := ": "
	if strings.HasSuffix(q, "?") {
		sep = " "
	}
	line := escape(v)
	if q != "" {
		line = escape(truncate(q, 150)) + sep + line
	}
	if a.Score != 0 {
		line += " (" + formatContribution(a.Score) + ")"
	}
	return line
}

// closingLine is what became of a closed lead; empty for an open one.
func closingLine(v bot.Card) string {
	by := ""
	if v.OwnerName != "" {
		by = " · " + bot.TeamTextf(v.Lang, "slack.by", escape(v.OwnerName))
	}
	switch {
	case v.Won:
		amount := ""
		if v.Amount != "" {
			amount = " · " + v.Amount
		}
		return "✅ *" + bot.TeamText(v.Lang, "card.won") + "*" + amount + by
	case v.Lost != "":
		return "❌ *" + bot.TeamText(v.Lang, "card.lost") + "* · " + escape(truncate(v.Lost, 500)) + by
	}
	return ""
}

// cardButtons are the actions of the card's state (bot.CardState.Actions),
// each carrying the lead id as its value, and the link to the customer.
func cardButtons(card *crm.LeadCard, withTelegram bool, lang string) []slackapi.BlockElement {
	kinds := bot.ActionsOf(card)
	if len(kinds) == 0 {
		return nil
	}
	id := strconv.FormatInt(card.Lead.ID, 10)
	var out []slackapi.BlockElement
	for _, k := range kinds {
		switch k {
		case crm.ActClaim:
			out = append(out, claimButton(id, lang))
		case crm.ActContacted:
			out = append(out, slackapi.NewButtonBlockElement(actionContacted, id, plain("📞 "+bot.ActionLabel(lang, crm.ActContacted))))
		case crm.ActWon:
			out = append(out, wonButton(id, lang))
		case crm.ActLost:
			out = append(out, lostButton(id, lang))
		case crm.ActReopen:
			out = append(out, slackapi.NewButtonBlockElement(actionReopen, id, plain("♻️ "+bot.ActionLabel(lang, crm.ActReopen))))
		}
	}
	if st := bot.StateOf(card); st == bot.CardClaimed || st == bot.CardContacted {
		out = append(out, callbackMenu(id, lang))
	}
	if withTelegram {
		if u := telegramURL(card.Contact); u != "" {
			out = append(out, slackapi.NewButtonBlockElement(actionOpenTelegram, id, plain(bot.TeamText(lang, "slack.open_tg"))).WithURL(u))
		}
	}
	return out
}

// callbackMenu is the card's Call back menu: the presets, each valued
// "<lead>|<when>".
func callbackMenu(id, lang string) *slackapi.SelectBlockElement {
	var opts []*slackapi.OptionBlockObject
	for _, c := range crm.CallbackPresets() {
		opts = append(opts, slackapi.NewOptionBlockObject(id+"|"+c, plain(bot.CallbackText(lang, c)), nil))
	}
	return slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain("⏰ "+bot.TeamText(lang, "button.cb")), actionCallback, opts...)
}

func claimButton(id, lang string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionClaim, id, plain("🙋 "+bot.ActionLabel(lang, crm.ActClaim))).WithStyle(slackapi.StylePrimary)
}

func wonButton(id, lang string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionWon, id, plain("✅ "+bot.ActionLabel(lang, crm.ActWon))).WithStyle(slackapi.StylePrimary)
}

func lostButton(id, lang string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionLost, id, plain("❌ "+bot.ActionLabel(lang, crm.ActLost))).WithStyle(slackapi.StyleDanger)
}

// footer names the lead the way /lead <id> finds it.
func footer(v bot.Card) string {
	s := v.Number
	if v.Flow != "" {
		s += " · " + bot.TeamTextf(v.Lang, "slack.flow", escape(v.Flow))
	}
	return s
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

// hasTelegramScheme reports whether blocks link to tg://, the one URL
// scheme on a card that Slack might refuse.
func hasTelegramScheme(card *crm.LeadCard) bool {
	return strings.HasPrefix(telegramURL(card.Contact), "tg://") && bot.StateOf(card) != bot.CardClosed
}
