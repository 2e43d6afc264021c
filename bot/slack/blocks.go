package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"

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

// cardBlocks renders a lead card. It is pure: everything it shows comes
// from card (including card.Now, the time the card is rendered for) and
// loc, the time zone the sales team reads clock times in. withTelegram
// adds the "Open in Telegram" link button; it exists so a card can be sent
// again without the tg:// link should Slack ever refuse that scheme.
//
// Layout, top to bottom:
//
//	header   🔥 Ivan Petrov
//	section  fields: Contact | Score | Temperature | Source | Landing |
//	         Arrived | Stage | Assignee | SLA (Landing and SLA only when set)
//	section  Score 75, why: one line per answer, "Budget: 1 500 000 (+30)"
//	section  the closing line of a won or lost lead
//	context  "<@U0ANNA>, this lead is yours…" for an assigned, unclaimed lead
//	actions  Claim | Contacted, Won, Lost | Won, Lost, and Open in Telegram
//	context  Lead #42 · flow qualify v1
func cardBlocks(card *crm.LeadCard, loc *time.Location, withTelegram bool) []slackapi.Block {
	if loc == nil {
		loc = time.UTC
	}
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(plain(truncate(temperatureEmoji(card.Lead.Temperature)+" "+leadName(card), maxHeader))),
		slackapi.NewSectionBlock(nil, cardFields(card, loc), nil),
	}
	if why := whyText(card); why != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(why), nil, nil))
	}
	if closing := closingLine(card); closing != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(closing), nil, nil))
	}
	if nudge := assigneeNudge(card); nudge != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(nudge)))
	}
	if buttons := cardButtons(card, withTelegram); len(buttons) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock(blockActions, buttons...))
	}
	if win := bot.WinLines(card.Win); len(win) > 0 {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(escape("🎯 "+strings.Join(win, "\n")))))
	}
	blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(footer(card))))
	return blocks
}

// cardText is the plain-text fallback of a card: what a notification, a
// screen reader and an old client show.
func cardText(card *crm.LeadCard, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	parts := []string{
		fmt.Sprintf("%s %s lead: %s", temperatureEmoji(card.Lead.Temperature),
			temperatureLabel(card.Lead.Temperature), leadName(card)),
		fmt.Sprintf("score %d", card.Lead.Score),
		strings.ToLower(stageLabel(card.Lead.Stage)),
	}
	if a := assigneeLine(card, loc); card.Assignee != nil {
		parts = append(parts, strings.ToLower(a[:1])+a[1:])
	}
	return escape(truncate(strings.Join(parts, ", "), maxFallback))
}

// cardFields are the facts a rep scans before calling: who, how good, from
// where, how long ago, who has it.
func cardFields(card *crm.LeadCard, loc *time.Location) []*slackapi.TextBlockObject {
	l, a := card.Lead, card.Lead.Attribution
	fields := []*slackapi.TextBlockObject{
		field("Contact", contactText(card.Contact)),
		field("Score", strconv.Itoa(l.Score)),
		field("Temperature", temperatureEmoji(l.Temperature)+" "+temperatureLabel(l.Temperature)),
		field("Source", sourceText(a)),
	}
	if landing := landingText(a); landing != "" {
		fields = append(fields, field("Landing", landing))
	}
	arrived := "—"
	if !l.CreatedAt.IsZero() {
		arrived = ago(card.Now, l.CreatedAt) + " · " + clock(l.CreatedAt, card.Now, loc)
	}
	fields = append(fields, field("Arrived", arrived))
	stage := stageLabel(l.Stage)
	if card.ContactedAt != nil && l.Stage == crm.StageContacted {
		stage += " · " + clock(*card.ContactedAt, card.Now, loc)
	}
	fields = append(fields,
		field("Stage", stage),
		field("Assignee", escape(assigneeLine(card, loc))),
	)
	if card.Escalations > 0 {
		word := "escalations"
		if card.Escalations == 1 {
			word = "escalation"
		}
		fields = append(fields, field("SLA", fmt.Sprintf("⚠️ %d %s", card.Escalations, word)))
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

func contactText(c crm.Contact) string {
	var lines []string
	if c.Phone != "" {
		lines = append(lines, escape(c.Phone))
	}
	if c.Email != "" {
		lines = append(lines, escape(c.Email))
	}
	if u := strings.TrimPrefix(c.Username, "@"); u != "" {
		lines = append(lines, "@"+escape(u))
	}
	return strings.Join(lines, "\n")
}

// sourceText is "source / medium / campaign"; a missing part shows as a
// dash so the positions stay readable, and no attribution at all is a
// single dash ("direct" would be a guess).
func sourceText(a crm.Attribution) string {
	if a.Source == "" && a.Medium == "" && a.Campaign == "" {
		return ""
	}
	parts := []string{a.Source, a.Medium, a.Campaign}
	for i, p := range parts {
		if p == "" {
			parts[i] = "—"
		} else {
			parts[i] = escape(p)
		}
	}
	return strings.Join(parts, " / ")
}

func landingText(a crm.Attribution) string {
	switch {
	case a.Landing != "" && a.Referrer != "":
		return escape(a.Landing) + " · via " + escape(a.Referrer)
	case a.Landing != "":
		return escape(a.Landing)
	case a.Referrer != "":
		return "via " + escape(a.Referrer)
	}
	return ""
}

// assigneeLine says who has the lead, unescaped.
func assigneeLine(card *crm.LeadCard, loc *time.Location) string {
	switch {
	case card.Assignee != nil && card.Claimed:
		if card.ClaimedAt != nil {
			return fmt.Sprintf("Claimed by %s at %s", card.Assignee.Name, clock(*card.ClaimedAt, card.Now, loc))
		}
		return "Claimed by " + card.Assignee.Name
	case card.Assignee != nil:
		return "Assigned to " + card.Assignee.Name
	case card.Waiting:
		return "Waiting for a rep on duty"
	default:
		return "Unclaimed: first to claim takes it"
	}
}

// assigneeNudge mentions the rep a lead was assigned to, so that routing's
// choice reaches them as a Slack notification and not only as a line on a
// card in a busy channel.
func assigneeNudge(card *crm.LeadCard) string {
	if card.Assignee == nil || card.Claimed || closed(card.Lead.Stage) || !slackIDRE.MatchString(card.Assignee.SlackID) {
		return ""
	}
	return mention(*card.Assignee) + ", this lead is yours: press Claim to take it."
}

// whyText explains the score answer by answer, so a rep sees what the
// customer said before calling and why the bot thinks it is hot.
func whyText(card *crm.LeadCard) string {
	if len(card.Answers) == 0 {
		return ""
	}
	head := fmt.Sprintf("*Score %d, why:*", card.Lead.Score)
	var b strings.Builder
	b.WriteString(head)
	for i, a := range card.Answers {
		line := "\n• " + answerLine(a)
		rest := fmt.Sprintf("\n…and %d more", len(card.Answers)-i)
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
	v := strings.TrimSpace(a.Value)
	if v == "" {
		v = "—"
	}
	v = truncate(groupDigits(v, 5), 300)
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
func closingLine(card *crm.LeadCard) string {
	by := ""
	if card.Assignee != nil && card.Assignee.Name != "" {
		by = " · by " + escape(card.Assignee.Name)
	}
	switch card.Lead.Stage {
	case crm.StageWon:
		amount := ""
		if card.Amount > 0 {
			amount = " · " + formatAmount(card.Amount)
		}
		return "✅ *Won*" + amount + by
	case crm.StageLost:
		reason := strings.TrimSpace(card.Lead.LostReason)
		if reason == "" {
			reason = "no reason given"
		}
		return "❌ *Lost* · " + escape(truncate(reason, 500)) + by
	}
	return ""
}

func closed(s crm.Stage) bool { return s == crm.StageWon || s == crm.StageLost }

// cardButtons are the next steps the stage allows: Claim while nobody has
// the lead; then Contacted, Won, Lost; once contacted, Won or Lost; none
// once it is closed. Each carries the lead id as its value.
func cardButtons(card *crm.LeadCard, withTelegram bool) []slackapi.BlockElement {
	if closed(card.Lead.Stage) {
		return nil
	}
	id := strconv.FormatInt(card.Lead.ID, 10)
	var out []slackapi.BlockElement
	switch {
	case card.Lead.Stage == crm.StageContacted:
		out = append(out, wonButton(id), lostButton(id))
	case !card.Claimed:
		out = append(out, claimButton(id))
	default:
		out = append(out,
			slackapi.NewButtonBlockElement(actionContacted, id, plain("📞 Contacted")),
			wonButton(id), lostButton(id))
	}
	if withTelegram {
		if u := telegramURL(card.Contact); u != "" {
			out = append(out, slackapi.NewButtonBlockElement(actionOpenTelegram, id, plain("Open in Telegram")).WithURL(u))
		}
	}
	return out
}

func claimButton(id string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionClaim, id, plain("🙋 Claim")).WithStyle(slackapi.StylePrimary)
}

func wonButton(id string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionWon, id, plain("✅ Won")).WithStyle(slackapi.StylePrimary)
}

func lostButton(id string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionLost, id, plain("❌ Lost")).WithStyle(slackapi.StyleDanger)
}

// footer names the lead the way /lead <id> finds it.
func footer(card *crm.LeadCard) string {
	s := fmt.Sprintf("Lead #%d", card.Lead.ID)
	if card.Lead.FlowID != "" {
		s += " · flow " + escape(card.Lead.FlowID)
		if card.Lead.FlowVersion > 0 {
			s += fmt.Sprintf(" v%d", card.Lead.FlowVersion)
		}
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
	return strings.HasPrefix(telegramURL(card.Contact), "tg://") && !closed(card.Lead.Stage)
}
