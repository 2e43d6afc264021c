package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// The sales group is the Telegram alternative (or addition) to the Slack
// sales channel (TELEGRAM_SALES_CHAT_ID): SalesGroup posts lead cards there
// and keeps them current, SalesGroupHandler acts on the team's button
// presses and replies.
//
// Everything goes out as plain text, because the Sender sends no parse
// mode: a customer's name can never break the markup. The price is that a
// rep is named, not mentioned: Telegram notifies by user id only through
// message entities. Buttons carry "vk:<action>:<lead>[:<extra>]" as their
// callback data; nothing else is kept between a press and the next one, so
// any replica can handle any press.

// SalesGroupOptions tune the sales group, on both sides.
type SalesGroupOptions struct {
	// TimeZone shows clock times on cards (UTC when nil); the config's
	// timezone, which is where the team works.
	TimeZone *time.Location
	// Language is the team's language (the config's `language:`): the
	// group is one room, so its cards speak the team's language, not a
	// member's. "" is English.
	Language string
	// Logger receives failures, with lead and user ids; never the text of
	// cards or replies, which are personal data.
	Logger *slog.Logger
	// Topics: the group is a forum, and each lead's card opens a topic of
	// its own where its conversation goes (telegram.sales_topics). When
	// Telegram refuses the topic (the group is not a forum), the card and
	// its conversation go to the group as usual.
	Topics bool
	// Team answers the team's commands in the group (bot.Team); nil
	// leaves them to one line of help.
	Team GroupTeam
	// Cards gives /lead its card (crm.Sales); nil turns /lead into a
	// team command like the others.
	Cards CardSource
	// Desk schedules call-backs from the card's Call back button
	// (crm.Desk); nil answers the button as unknown.
	Desk CallbackDesk
}

func (o SalesGroupOptions) withDefaults() SalesGroupOptions {
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Button actions. The first four are crm.ActionKind values; lostr picks a
// reason by its index in the desk's list, back restores the buttons a card
// had before Lost was pressed.
const (
	dataPrefix    = "vk:"
	actLostReason = "lostr"
	actBack       = "back"
	// actCallbackAt picks a call-back time
	// ("vk:cbat:<lead>:<codes>:<when>", the time written 15.00).
	actCallbackAt = "cbat"
)

// actCallback offers the quick call-back times; a button on the card like
// the funnel's actions, though not one of crm's.
const actCallback crm.ActionKind = "cb"

// The text the handler finds in a reply, and sizes (the team's texts are
// bot.TeamText keys).
const (
	// amountMarker is how the handler recognises a reply to its own
	// question: the question names the lead after it, and Telegram hands
	// the replied-to text back with the reply.
	amountMarker = "the amount for lead #"
	// maxText keeps a message under Telegram's 4096 characters.
	maxText = 4000
	// maxCallbackText keeps a callback notice under Telegram's 200.
	maxCallbackText = 190
	// maxReasonButtons bounds the lost-reason keyboard.
	maxReasonButtons = 30
)

var amountFor = regexp.MustCompile(`the amount for lead #(\d+)`)

// SalesGroup puts leads in front of the team in a Telegram group. It is a
// crm.SalesNotifier; a card's reference is "<chat id>:<message id>".
type SalesGroup struct {
	sender bot.Sender
	chatID int64
	opts   SalesGroupOptions
}

var _ crm.SalesNotifier = (*SalesGroup)(nil)

// NewSalesGroup returns the notifier for the group chatID. The sender keeps
// to the group's rate limit (SenderOptions.GroupPerMinute).
func NewSalesGroup(sender bot.Sender, chatID int64, opts SalesGroupOptions) *SalesGroup {
	return &SalesGroup{sender: sender, chatID: chatID, opts: opts.withDefaults()}
}

// Channel implements crm.SalesNotifier.
func (g *SalesGroup) Channel() string { return "telegram" }

// PostCard implements crm.SalesNotifier.
//
// With Topics the card opens a topic of its own named after the lead, and
// its reference carries the topic: "<chat id>:<message id>:<thread id>".
func (g *SalesGroup) PostCard(ctx context.Context, card *crm.LeadCard) (string, error) {
	thread := 0
	if g.opts.Topics {
		id, err := g.sender.Send(ctx, bot.Message{ChatID: g.chatID, CreateTopic: topicName(card)})
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Code == 400:
			g.opts.Logger.WarnContext(ctx, "sales group: no topic for the lead, posting in the group", "lead_id", card.Lead.ID, "err", err)
		case err != nil:
			return "", fmt.Errorf("open topic of lead %d: %w", card.Lead.ID, err)
		default:
			thread = id
		}
	}
	id, err := g.send(ctx, bot.Message{ChatID: g.chatID, Text: cardText(card, g.format()), ThreadID: thread}, cardButtons(card, g.opts.Language))
	if err != nil {
		return "", fmt.Errorf("post card of lead %d: %w", card.Lead.ID, err)
	}
	ref := formatRef(g.chatID, id)
	if thread != 0 {
		ref += ":" + strconv.Itoa(thread)
	}
	return ref, nil
}

// topicName names a lead's topic: its number and the customer, when the
// card may show who they are.
func topicName(card *crm.LeadCard) string {
	name := "#" + strconv.FormatInt(card.Lead.ID, 10)
	if n := card.Contact.Name(); n != "" && !card.Erased {
		name += " · " + n
	}
	return name
}

// threadOf is the forum topic of a card reference, 0 without one.
func threadOf(ref string) int {
	parts := strings.Split(ref, ":")
	if len(parts) != 3 {
		return 0
	}
	t, _ := strconv.Atoi(parts[2])
	return t
}

// UpdateCard implements crm.SalesNotifier. A card someone deleted from the
// group cannot be brought back by retrying, so that is logged and done.
func (g *SalesGroup) UpdateCard(ctx context.Context, ref string, card *crm.LeadCard) error {
	chatID, msgID, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("update card of lead %d: %w", card.Lead.ID, err)
	}
	m := bot.Message{ChatID: chatID, Text: cardText(card, g.format()), EditMessageID: msgID}
	if _, err := g.send(ctx, m, cardButtons(card, g.opts.Language)); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == 400 && strings.Contains(ae.Description, "message to edit not found") {
			g.opts.Logger.WarnContext(ctx, "sales group: card gone, not updated", "lead_id", card.Lead.ID, "ref", ref)
			return nil
		}
		return fmt.Errorf("update card of lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Escalate implements crm.SalesNotifier. The re-announcement is a new
// message, so the group is notified again, and it carries the card's
// buttons so nobody has to scroll up to claim.
func (g *SalesGroup) Escalate(ctx context.Context, _ string, card *crm.LeadCard, heads []crm.Manager) error {
	f := g.format()
	v := bot.NewCard(card, f)
	var b strings.Builder
	lang := g.opts.Language
	b.WriteString("⏰ " + bot.TeamTextf(lang, "tg.escalated", v.Number, f.Age(cardNow(card).Sub(arrivedAt(card)))) + "\n")
	fmt.Fprintf(&b, "%s %s · %s · %s", v.Mark, clipText(v.Name, 80), bot.TeamTextf(lang, "card.score", v.Score), v.Temperature)
	if c := contactLine(v); c != "" {
		b.WriteString("\n" + c)
	}
	if names := managerNames(heads); names != "" {
		b.WriteString("\n" + bot.TeamTextf(lang, "tg.escalate_heads", names))
	}
	_, err := g.send(ctx, bot.Message{ChatID: g.chatID, Text: b.String()}, cardButtons(card, lang))
	if err != nil {
		return fmt.Errorf("escalate lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Remind implements crm.SalesNotifier, with the card's buttons so the rep
// can mark the lead contacted from the reminder.
func (g *SalesGroup) Remind(ctx context.Context, _ string, card *crm.LeadCard, rep crm.Manager) error {
	f := g.format()
	v := bot.NewCard(card, f)
	var b strings.Builder
	lang := g.opts.Language
	claimed := ""
	if card.ClaimedAt != nil {
		claimed = bot.TeamTextf(lang, "tg.remind_claimed", f.Ago(cardNow(card), *card.ClaimedAt))
	}
	b.WriteString("⏰ " + bot.TeamTextf(lang, "tg.remind", rep.Name, v.Number, clipText(v.Name, 80), claimed))
	if c := contactLine(v); c != "" {
		b.WriteString("\n" + c)
	}
	_, err := g.send(ctx, bot.Message{ChatID: g.chatID, Text: b.String()}, cardButtons(card, lang))
	if err != nil {
		return fmt.Errorf("remind of lead %d: %w", card.Lead.ID, err)
	}
	return nil
}

// Digest implements crm.SalesNotifier: one line or two a lead, and a Claim
// button for each lead nobody has claimed. An empty digest is not posted.
func (g *SalesGroup) Digest(ctx context.Context, title string, cards []*crm.LeadCard) error {
	if len(cards) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d)\n", strings.TrimSpace(title), len(cards))
	var claims []bot.Button
	for i, c := range cards {
		v := bot.NewCard(c, g.format())
		var entry strings.Builder
		fmt.Fprintf(&entry, "\n%d. %s · %s · %s", i+1, cardTitle(v), bot.TeamTextf(g.opts.Language, "card.score", v.Score), v.Source)
		if v.Age != "" {
			entry.WriteString(" · " + v.Age)
		}
		if line := contactLine(v); line != "" {
			entry.WriteString("\n   " + line)
		}
		if v.Erased != "" {
			entry.WriteString("\n   🔒 " + v.Erased)
		}
		if who := statusLine(v); who != "" && v.State != bot.CardUnclaimed {
			entry.WriteString("\n   " + who)
		}
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(entry.String()) > maxText-40 {
			b.WriteString("\n\n… " + bot.TeamTextf(g.opts.Language, "digest.more", len(cards)-i))
			break
		}
		b.WriteString(entry.String())
		if v.State == bot.CardUnclaimed {
			claims = append(claims, bot.Button{Text: "🙋 " + bot.TeamTextf(g.opts.Language, "button.claim_n", c.Lead.ID), Data: callbackData(string(crm.ActClaim), c.Lead.ID)})
		}
	}
	var rows [][]bot.Button
	for i := 0; i < len(claims); i += 2 {
		rows = append(rows, claims[i:min(i+2, len(claims))])
	}
	if _, err := g.send(ctx, bot.Message{ChatID: g.chatID, Text: b.String()}, rows); err != nil {
		return fmt.Errorf("post digest of %d leads: %w", len(cards), err)
	}
	return nil
}

// send sends m with rows as its buttons. A link to a customer can make
// Telegram refuse the whole message (a tg://user link to someone whose
// privacy settings forbid it is BUTTON_USER_PRIVACY_RESTRICTED), and a
// card without the link is better than none, so a 400 for a message with
// links is tried once more without them.
func (g *SalesGroup) send(ctx context.Context, m bot.Message, rows [][]bot.Button) (int, error) {
	m.Buttons = rows
	id, err := g.sender.Send(ctx, m)
	var ae *APIError
	if err == nil || !errors.As(err, &ae) || ae.Code != 400 || !hasLink(rows) {
		return id, err
	}
	g.opts.Logger.WarnContext(ctx, "sales group: message refused with a link, sending without", "chat_id", m.ChatID, "err", err)
	m.Buttons = withoutLinks(rows)
	return g.sender.Send(ctx, m)
}

func hasLink(rows [][]bot.Button) bool {
	for _, row := range rows {
		for _, b := range row {
			if b.URL != "" {
				return true
			}
		}
	}
	return false
}

func withoutLinks(rows [][]bot.Button) [][]bot.Button {
	var out [][]bot.Button
	for _, row := range rows {
		var r []bot.Button
		for _, b := range row {
			if b.URL == "" {
				r = append(r, b)
			}
		}
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func formatRef(chatID int64, msgID int) string {
	return strconv.FormatInt(chatID, 10) + ":" + strconv.Itoa(msgID)
}

func parseRef(ref string) (chatID int64, msgID int, err error) {
	c, m, ok := strings.Cut(ref, ":")
	m, _, _ = strings.Cut(m, ":") // a card's topic, if any
	chatID, err1 := strconv.ParseInt(c, 10, 64)
	msgID, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || chatID == 0 || msgID <= 0 {
		return 0, 0, crm.Errorf(crm.EINVALID, "card reference %q is not <chat id>:<message id>", ref)
	}
	return chatID, msgID, nil
}

// actionButton is the button of one action on a card.
func actionButton(kind crm.ActionKind, leadID int64, lang string) bot.Button {
	mark := map[crm.ActionKind]string{
		crm.ActClaim:     "🙋 ",
		crm.ActContacted: "📞 ",
		crm.ActWon:       "✅ ",
		crm.ActLost:      "❌ ",
		actCallback:      "⏰ ",
		crm.ActReopen:    "♻️ ",
	}[kind]
	return bot.Button{Text: mark + bot.ActionLabel(lang, kind), Data: callbackData(string(kind), leadID)}
}

// cardButtons are the actions of the card's state in one row, Call back
// in another once the lead is someone's, and the link to the customer in
// a third. A closed lead has none, as on Slack.
func cardButtons(c *crm.LeadCard, lang string) [][]bot.Button {
	kinds := bot.ActionsOf(c)
	if len(kinds) == 0 {
		return nil
	}
	if st := bot.StateOf(c); st == bot.CardClaimed || st == bot.CardContacted {
		kinds = append(kinds, actCallback)
	}
	rows := actionRows(kinds, c.Lead.ID, lang)
	if link := customerLink(c.Contact); link != "" {
		rows = append(rows, []bot.Button{{Text: "💬 " + bot.TeamText(lang, "button.customer_tg"), URL: link}})
	}
	return rows
}

// actionRows are the funnel's actions in one row and Call back, when it
// is among kinds, in a row of its own.
func actionRows(kinds []crm.ActionKind, leadID int64, lang string) [][]bot.Button {
	var funnel []crm.ActionKind
	callback := false
	for _, k := range kinds {
		if k == actCallback {
			callback = true
			continue
		}
		funnel = append(funnel, k)
	}
	var rows [][]bot.Button
	if len(funnel) > 0 {
		rows = append(rows, actionRow(funnel, leadID, lang))
	}
	if callback {
		rows = append(rows, []bot.Button{actionButton(actCallback, leadID, lang)})
	}
	return rows
}

func actionRow(kinds []crm.ActionKind, leadID int64, lang string) []bot.Button {
	row := make([]bot.Button, 0, len(kinds))
	for _, k := range kinds {
		row = append(row, actionButton(k, leadID, lang))
	}
	return row
}

// customerLink opens a chat with the customer: by username when there is
// one, which always works, or by user id, which Telegram honours as far as
// the customer's privacy settings allow.
func customerLink(c crm.Contact) string {
	switch {
	case c.Username != "":
		return "https://t.me/" + c.Username
	case c.TelegramUserID > 0:
		return "tg://user?id=" + strconv.FormatInt(c.TelegramUserID, 10)
	}
	return ""
}

func callbackData(action string, leadID int64, extra ...string) string {
	parts := append([]string{"vk", action, strconv.FormatInt(leadID, 10)}, extra...)
	return strings.Join(parts, ":")
}

// format is how the group's texts write figures (bot.Format).
func (g *SalesGroup) format() bot.Format {
	return bot.Format{Lang: g.opts.Language, Loc: g.opts.TimeZone}
}

// cardText lays out bot.NewCard's facts as the group's plain text, one
// fact a line.
func cardText(c *crm.LeadCard, f bot.Format) string {
	v := bot.NewCard(c, f)
	lang := v.Lang
	var b strings.Builder
	b.WriteString(cardTitle(v) + "\n")
	if line := contactLine(v); line != "" {
		b.WriteString(line + "\n")
	}
	if v.Erased != "" {
		b.WriteString("🔒 " + v.Erased + "\n")
	}
	fmt.Fprintf(&b, "⭐ %s · %s\n", label(bot.TeamTextf(lang, "card.score", v.Score)), v.Temperature)
	for _, a := range v.Answers {
		value := a.Value
		if value == "" {
			value = "—"
		}
		fmt.Fprintf(&b, "  • %s: %s (%+d)\n", clipText(a.Question, 120), clipText(value, 200), a.Score)
	}
	b.WriteString("📣 " + bot.TeamText(lang, "card.source") + ": " + v.Source)
	if v.Landing != "" {
		b.WriteString(" · " + bot.TeamText(lang, "card.landing") + ": " + v.Landing)
	}
	b.WriteString("\n")
	if v.Age != "" {
		b.WriteString("🕒 " + bot.TeamTextf(lang, "card.arrived", v.Age, v.Arrived) + "\n")
	}
	b.WriteString("📍 " + bot.TeamText(lang, "card.stage") + ": " + v.Stage)
	if s := statusLine(v); s != "" {
		b.WriteString("\n" + s)
	}
	if v.Escalations > 0 {
		b.WriteString("\n⏰ " + bot.TeamTextf(lang, "card.escalated", v.Escalations))
	}
	if win := bot.WinLinesIn(c.Win, lang); len(win) > 0 {
		b.WriteString("\n🎯 " + strings.Join(win, "\n"))
	}
	return clipText(b.String(), maxText)
}

// cardTitle is the card's title with the name clipped to a line.
func cardTitle(v bot.Card) string {
	v.Name = clipText(v.Name, 80)
	return v.Title()
}

// statusLine says who has the lead and how it ended.
func statusLine(v bot.Card) string {
	var parts []string
	switch {
	case v.Waiting:
		parts = append(parts, "⏳ "+v.Owner)
	case v.Owner != "":
		parts = append(parts, "👤 "+v.Owner)
	}
	if v.Contacted != "" {
		parts = append(parts, "📞 "+bot.TeamTextf(v.Lang, "card.contacted_at", v.Contacted))
	}
	switch {
	case v.Won && v.Amount != "":
		parts = append(parts, "✅ "+bot.TeamText(v.Lang, "card.won")+": "+v.Amount)
	case v.Won:
		parts = append(parts, "✅ "+bot.TeamText(v.Lang, "card.won"))
	case v.Lost != "":
		parts = append(parts, "❌ "+bot.TeamText(v.Lang, "card.lost")+": "+v.Lost)
	}
	return strings.Join(parts, "\n")
}

func contactLine(v bot.Card) string {
	var parts []string
	if v.Phone != "" {
		parts = append(parts, "📞 "+v.Phone)
	}
	if v.Email != "" {
		parts = append(parts, "✉️ "+v.Email)
	}
	if v.Username != "" {
		parts = append(parts, "@"+v.Username)
	}
	return strings.Join(parts, " · ")
}

func managerNames(ms []crm.Manager) string {
	names := make([]string, 0, len(ms))
	for _, m := range ms {
		if m.Name != "" {
			names = append(names, m.Name)
		}
	}
	return strings.Join(names, ", ")
}

// cardNow is the card's own time; a card built without one falls back to
// the wall clock rather than claiming the lead arrived 2000 years ago.
func cardNow(c *crm.LeadCard) time.Time {
	if c.Now.IsZero() {
		return time.Now()
	}
	return c.Now
}

// arrivedAt is when the team could first see the lead: when its dialogue
// finished, or when it was created.
func arrivedAt(c *crm.LeadCard) time.Time {
	if c.Lead.QualifiedAt != nil {
		return *c.Lead.QualifiedAt
	}
	return c.Lead.CreatedAt
}

// salesAmount writes the amount of a sale the way the cards do
// (bot.Format.Amount).
func salesAmount(v float64) string { return bot.Format{Lang: bot.TeamLanguage}.Amount(v) }

// clipText cuts s to n runes, marking the cut.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// SalesGroupHandler acts on what the team does in the sales group: button
// presses on cards, and replies with the amount of a sale. Only members of
// the team (crm.SalesDesk.ManagerByTelegram) may act; anyone else is told
// so and changes nothing. It only acts and answers: the card is refreshed
// by the job the desk queues with the action.
//
// Two things need the raw Telegram update, which bot.Update does not carry:
// the text and keyboard of the message under a pressed button, and the
// message a reply answers. With them (HandleTelegram), Lost turns the
// card's own buttons into the list of reasons, and the amount of a sale is
// a reply to the bot's question. With a bot.Update alone (Handle), the
// reasons come as a message of their own, and the amount is given with
// "/won <lead> <amount>", which the question mentions; a command also
// reaches a bot whose group privacy mode is on.
type SalesGroupHandler struct {
	conv   Conversation
	desk   crm.SalesDesk
	sender bot.Sender
	chatID int64
	opts   SalesGroupOptions
}

var _ bot.Handler = (*SalesGroupHandler)(nil)

// NewSalesGroupHandler returns the handler for updates from the group
// chatID.
func NewSalesGroupHandler(desk crm.SalesDesk, sender bot.Sender, chatID int64, opts SalesGroupOptions) *SalesGroupHandler {
	return &SalesGroupHandler{desk: desk, sender: sender, chatID: chatID, opts: opts.withDefaults()}
}

// Handle implements bot.Handler. Updates from other chats are ignored.
//
// The error is nil once the update needs no redelivery: after an action the
// desk took or refused (the rep was told either way, and pressing again is
// how a rep retries), and after anything ignored. It is an error when a
// question or a list of reasons could not be sent, which a redelivery
// repairs without side effects.
func (h *SalesGroupHandler) Handle(ctx context.Context, u bot.Update) error {
	if u.ChatID != h.chatID || h.chatID == 0 {
		return nil
	}
	return h.handle(ctx, fromBotUpdate(u))
}

// HandleTelegram handles a raw update, with what bot.Update leaves out (see
// SalesGroupHandler); it is how the Router hands over the sales group's
// updates (a GroupHandler). handled is false for an update that is not
// from the sales group or not one it acts on; the error is as for Handle.
func (h *SalesGroupHandler) HandleTelegram(ctx context.Context, u tgbotapi.Update) (handled bool, err error) {
	in, ok := salesUpdate(u)
	if !ok || in.chatID != h.chatID || h.chatID == 0 {
		return false, nil
	}
	return true, h.handle(ctx, in)
}

// salesInput is an update from the sales group, as much of it as the
// source provides.
type salesInput struct {
	chatID int64
	user   bot.User

	// A pressed button.
	callbackID string
	data       string
	messageID  int
	// messageText and keyboard are the message under the button; empty
	// when the update came as a bot.Update.
	messageText string
	keyboard    *tgbotapi.InlineKeyboardMarkup

	// A message.
	text          string
	command, args string
	// repliedBot and repliedText describe the message replied to, if it
	// was the bot's.
	repliedBot  bool
	repliedText string
	// repliedID is the bot's message replied to, messageID the reply.
	repliedID int
	// editedAt is set (the edit's time) when the message is an edit of
	// one sent before.
	editedAt int
}

func fromBotUpdate(u bot.Update) salesInput {
	in := salesInput{chatID: u.ChatID, user: u.User}
	switch u.Kind {
	case bot.InputButton:
		in.callbackID, in.data, in.messageID = u.CallbackID, u.Button, u.ButtonMessageID
	case bot.InputCommand:
		in.command, in.args = u.Command, u.Text
	}
	return in
}

// salesUpdate reads a raw update from a group. Like ToUpdate it skips
// messages without a person behind them.
func salesUpdate(u tgbotapi.Update) (salesInput, bool) {
	switch {
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From == nil || q.Message == nil || q.Message.Chat == nil {
			return salesInput{}, false
		}
		return salesInput{
			chatID:      q.Message.Chat.ID,
			user:        toUser(q.From),
			callbackID:  q.ID,
			data:        q.Data,
			messageID:   q.Message.MessageID,
			messageText: q.Message.Text,
			keyboard:    q.Message.ReplyMarkup,
		}, true
	case u.EditedMessage != nil:
		m := u.EditedMessage
		if m.Chat == nil || m.From == nil || m.From.IsBot || m.EditDate == 0 {
			return salesInput{}, false
		}
		return salesInput{chatID: m.Chat.ID, user: toUser(m.From), text: bot.StorableText(m.Text),
			messageID: m.MessageID, editedAt: m.EditDate}, true
	case u.Message != nil:
		m := u.Message
		if m.Chat == nil || m.From == nil || m.From.IsBot {
			return salesInput{}, false
		}
		in := salesInput{chatID: m.Chat.ID, user: toUser(m.From)}
		if name, args, ok := parseCommand(m); ok {
			in.command, in.args = name, bot.StorableText(args)
		} else {
			// What a rep types may reach PostgreSQL (see ToUpdate).
			in.text = bot.StorableText(m.Text)
		}
		if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.IsBot {
			in.repliedBot, in.repliedText, in.repliedID = true, r.Text, r.MessageID
		}
		in.messageID = m.MessageID
		return in, true
	}
	return salesInput{}, false
}

func (h *SalesGroupHandler) handle(ctx context.Context, in salesInput) error {
	switch {
	case in.editedAt != 0:
		return h.edit(ctx, in)
	case in.callbackID != "":
		return h.press(ctx, in)
	case in.command == "won":
		return h.wonCommand(ctx, in)
	case in.command != "":
		return h.command(ctx, in)
	case in.repliedBot:
		if m := amountFor.FindStringSubmatch(in.repliedText); m != nil {
			leadID, err := strconv.ParseInt(m[1], 10, 64)
			if err == nil && leadID > 0 {
				return h.amountReply(ctx, in, leadID, in.text)
			}
		}
		if _, err := h.reply(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// press handles a button under a card, an escalation, a reminder, a
// digest or a list of reasons.
func (h *SalesGroupHandler) press(ctx context.Context, in salesInput) error {
	m, ok := h.desk.ManagerByTelegram(in.user.ID)
	if !ok || in.user.ID == 0 {
		h.answer(ctx, in, bot.TeamText(h.opts.Language, "tg.team_only"))
		return nil
	}
	lang := bot.MemberLang(m, h.opts.Language) // a notice goes to the one who pressed
	action, leadID, extra, ok := parseData(in.data)
	if !ok {
		h.answer(ctx, in, bot.TeamText(lang, "tg.unknown_button"))
		return nil
	}
	switch action {
	case string(crm.ActClaim), string(crm.ActContacted), string(crm.ActReopen):
		notice := bot.TeamText(lang, "tg.done_"+action)
		if err := h.act(ctx, crm.Action{LeadID: leadID, Kind: crm.ActionKind(action), By: m}); err != nil {
			notice = h.failure(ctx, err, leadID, action)
		}
		h.answer(ctx, in, notice)
		return nil
	case string(crm.ActWon):
		h.answer(ctx, in, "Reply to my question with the amount")
		return h.askAmount(ctx, m, leadID, "")
	case string(crm.ActLost):
		return h.showReasons(ctx, in, m, leadID)
	case actLostReason:
		return h.lostReason(ctx, in, m, leadID, extra)
	case actBack:
		return h.back(ctx, in, leadID, extra)
	case string(actCallback):
		return h.callbackChoices(ctx, in, m, leadID)
	case actCallbackAt:
		return h.callbackAt(ctx, in, m, leadID, extra)
	}
	h.answer(ctx, in, bot.TeamText(lang, "tg.unknown_button"))
	return nil
}

// parseData reads "vk:<action>:<lead>[:<extra>]".
func parseData(data string) (action string, leadID int64, extra string, ok bool) {
	rest, found := strings.CutPrefix(data, dataPrefix)
	if !found {
		return "", 0, "", false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 2 {
		return "", 0, "", false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, "", false
	}
	if len(parts) == 3 {
		extra = parts[2]
	}
	return parts[0], id, extra, true
}

// act applies an action through the desk; the time is the desk's.
func (h *SalesGroupHandler) act(ctx context.Context, a crm.Action) error {
	_, err := h.desk.Act(ctx, a)
	return err
}

// failure is what to tell a rep whose action the desk did not take: the
// desk's own words for a teamOnly ("already claimed by Anna"), a plea to
// try again for anything else, which is logged.
func (h *SalesGroupHandler) failure(ctx context.Context, err error, leadID int64, action string) string {
	if crm.ErrorCode(err) != crm.EINTERNAL {
		return crm.ErrorMessage(err)
	}
	h.opts.Logger.ErrorContext(ctx, "sales group: action failed", "lead_id", leadID, "action", action, "err", err)
	return bot.TeamText(h.opts.Language, "tg.try_again")
}

// answer stops the button's spinner with a notice. A failure is logged
// only: the notice is a courtesy, and Telegram forgets a callback soon.
func (h *SalesGroupHandler) answer(ctx context.Context, in salesInput, text string) {
	if err := h.sender.AnswerCallback(ctx, bot.CallbackAnswer{CallbackID: in.callbackID, Text: clipText(text, maxCallbackText)}); err != nil {
		h.opts.Logger.WarnContext(ctx, "sales group: answer callback", "user_id", in.user.ID, "err", err)
	}
}

// say posts a line to the group. It is for after an action: the action
// stands whatever happens to the line, so a failure is logged only.
func (h *SalesGroupHandler) say(ctx context.Context, text string) {
	if _, err := h.sender.Send(ctx, bot.Message{ChatID: h.chatID, Text: text}); err != nil {
		h.opts.Logger.WarnContext(ctx, "sales group: send", "err", err)
	}
}

// askAmount asks m for the amount of a sale, after what was wrong with the
// last answer when problem is set. The question names the lead in a fixed
// phrase (amountMarker), which is how a reply to it is recognised without
// keeping anything between the question and the reply.
func (h *SalesGroupHandler) askAmount(ctx context.Context, m crm.Manager, leadID int64, problem string) error {
	var b strings.Builder
	b.WriteString("💰 " + m.Name + ", ")
	if problem != "" {
		b.WriteString(problem + ". Reply")
	} else {
		b.WriteString("reply")
	}
	fmt.Fprintf(&b, " to this message with %s%d, for example 150000 or 1,5 млн (or send /won %d <amount>).",
		amountMarker, leadID, leadID)
	if _, err := h.sender.Send(ctx, bot.Message{ChatID: h.chatID, Text: b.String()}); err != nil {
		return fmt.Errorf("ask amount for lead %d: %w", leadID, err)
	}
	return nil
}

// wonCommand handles "/won <lead> <amount>".
func (h *SalesGroupHandler) wonCommand(ctx context.Context, in salesInput) error {
	lead, amount, _ := strings.Cut(strings.TrimSpace(in.args), " ")
	leadID, err := strconv.ParseInt(strings.TrimPrefix(lead, "#"), 10, 64)
	if err != nil || leadID <= 0 {
		if _, ok := h.desk.ManagerByTelegram(in.user.ID); !ok {
			return nil // a stranger's malformed command deserves no answer in the team's group
		}
		if _, err := h.sender.Send(ctx, bot.Message{ChatID: h.chatID, Text: "Send /won <lead> <amount>, for example /won 42 150000."}); err != nil {
			return fmt.Errorf("explain /won: %w", err)
		}
		return nil
	}
	return h.amountReply(ctx, in, leadID, amount)
}

// amountReply marks a lead won with the amount a rep typed, or asks again.
func (h *SalesGroupHandler) amountReply(ctx context.Context, in salesInput, leadID int64, text string) error {
	m, ok := h.desk.ManagerByTelegram(in.user.ID)
	if !ok || in.user.ID == 0 {
		h.say(ctx, bot.TeamText(h.opts.Language, "tg.team_only")+".")
		return nil
	}
	typed := clipText(strings.TrimSpace(text), 40)
	amount, ok := parseAmount(text)
	if !ok {
		return h.askAmount(ctx, m, leadID, fmt.Sprintf("“%s” is not an amount I can read", typed))
	}
	amount, err := crm.CheckAmount(amount)
	if err != nil {
		return h.askAmount(ctx, m, leadID, fmt.Sprintf("“%s”: %s", typed, crm.ErrorMessage(err)))
	}
	if err := h.act(ctx, crm.Action{LeadID: leadID, Kind: crm.ActWon, By: m, Amount: amount}); err != nil {
		h.say(ctx, fmt.Sprintf("Lead #%d: %s", leadID, h.failure(ctx, err, leadID, string(crm.ActWon))))
		return nil
	}
	h.say(ctx, fmt.Sprintf("✅ Lead #%d won: %s (%s)", leadID, salesAmount(amount), m.Name))
	return nil
}

// showReasons answers Lost with the list of reasons. On a message whose
// text is known, the message's own buttons become the list, with Back to
// undo; otherwise the list is a message of its own. With no reasons
// configured, the lead is marked lost at once.
func (h *SalesGroupHandler) showReasons(ctx context.Context, in salesInput, m crm.Manager, leadID int64) error {
	reasons := h.desk.LostReasons()
	if len(reasons) == 0 {
		notice := bot.TeamText(h.opts.Language, "tg.marked_lost")
		if err := h.act(ctx, crm.Action{LeadID: leadID, Kind: crm.ActLost, By: m}); err != nil {
			notice = h.failure(ctx, err, leadID, string(crm.ActLost))
		}
		h.answer(ctx, in, notice)
		return nil
	}
	var rows [][]bot.Button
	for i, r := range reasons[:min(len(reasons), maxReasonButtons)] {
		rows = append(rows, []bot.Button{{Text: clipText(bot.LostReasonText(h.opts.Language, r), 40), Data: callbackData(actLostReason, leadID, strconv.Itoa(i))}})
	}
	h.answer(ctx, in, bot.TeamText(h.opts.Language, "tg.why_lost"))
	back := "↩ " + bot.TeamText(h.opts.Language, "tg.back")
	if in.messageText == "" {
		rows = append(rows, []bot.Button{{Text: back, Data: callbackData(actBack, leadID)}})
		text := bot.TeamTextf(h.opts.Language, "tg.why_lost_of", m.Name, bot.Format{Lang: h.opts.Language}.LeadNumber(leadID))
		if _, err := h.sender.Send(ctx, bot.Message{ChatID: h.chatID, Text: text, Buttons: rows}); err != nil {
			return fmt.Errorf("list lost reasons for lead %d: %w", leadID, err)
		}
		return nil
	}
	// Back remembers the actions the message had, and the links stay.
	rows = append(rows, []bot.Button{{Text: back, Data: callbackData(actBack, leadID, actionCodes(in.keyboard))}})
	rows = append(rows, linkRows(in.keyboard)...)
	edit := bot.Message{ChatID: h.chatID, Text: in.messageText, Buttons: rows, EditMessageID: in.messageID}
	if _, err := h.sender.Send(ctx, edit); err != nil {
		return fmt.Errorf("list lost reasons for lead %d: %w", leadID, err)
	}
	return nil
}

// lostReason marks a lead lost with the reason at index extra. A list sent
// as a message of its own is then closed with what was decided; a card's
// buttons are rewritten by the card refresh the action queues.
func (h *SalesGroupHandler) lostReason(ctx context.Context, in salesInput, m crm.Manager, leadID int64, extra string) error {
	reasons := h.desk.LostReasons()
	i, err := strconv.Atoi(extra)
	if err != nil || i < 0 || i >= len(reasons) {
		h.answer(ctx, in, bot.TeamTextf(h.opts.Language, "tg.reason_gone", bot.ActionLabel(h.opts.Language, crm.ActLost)))
		return nil
	}
	reason := reasons[i]
	if err := h.act(ctx, crm.Action{LeadID: leadID, Kind: crm.ActLost, By: m, Reason: reason}); err != nil {
		h.answer(ctx, in, h.failure(ctx, err, leadID, string(crm.ActLost)))
		return nil
	}
	said := bot.LostReasonText(h.opts.Language, reason)
	h.answer(ctx, in, bot.TeamText(h.opts.Language, "tg.marked_lost")+": "+said)
	if in.messageText == "" {
		text := "❌ " + bot.TeamTextf(h.opts.Language, "tg.lost_of", bot.Format{Lang: h.opts.Language}.LeadNumber(leadID), said, m.Name)
		if _, err := h.sender.Send(ctx, bot.Message{ChatID: h.chatID, Text: text, EditMessageID: in.messageID}); err != nil {
			h.opts.Logger.WarnContext(ctx, "sales group: close reasons", "lead_id", leadID, "err", err)
		}
	}
	return nil
}

// back undoes Lost. On a card (codes given) the card's actions come back
// under its text; a list of its own (no codes) is closed. A card whose text
// is not known is left for its next refresh rather than overwritten.
func (h *SalesGroupHandler) back(ctx context.Context, in salesInput, leadID int64, codes string) error {
	h.answer(ctx, in, "")
	return h.restore(ctx, in, leadID, codes)
}

// restore puts back the actions codes names on the message in (a list
// sent on its own says the lead stays open instead).
func (h *SalesGroupHandler) restore(ctx context.Context, in salesInput, leadID int64, codes string) error {
	var m bot.Message
	switch {
	case codes == "":
		m = bot.Message{ChatID: h.chatID, Text: bot.TeamTextf(h.opts.Language, "tg.stays_open", bot.Format{Lang: h.opts.Language}.LeadNumber(leadID)), EditMessageID: in.messageID}
	case in.messageText != "":
		rows := actionRows(decodeActions(codes), leadID, h.opts.Language)
		rows = append(rows, linkRows(in.keyboard)...)
		m = bot.Message{ChatID: h.chatID, Text: in.messageText, Buttons: rows, EditMessageID: in.messageID}
	default:
		return nil
	}
	if _, err := h.sender.Send(ctx, m); err != nil {
		return fmt.Errorf("restore buttons of lead %d: %w", leadID, err)
	}
	return nil
}

// Action codes: the actions a message had, one letter each, carried by
// Back so it can put them back.
var actionCode = map[crm.ActionKind]byte{crm.ActClaim: 'k', crm.ActContacted: 'c', crm.ActWon: 'w', crm.ActLost: 'l', actCallback: 'b', crm.ActReopen: 'r'}

func actionCodes(kb *tgbotapi.InlineKeyboardMarkup) string {
	var b strings.Builder
	if kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, btn := range row {
				if btn.CallbackData == nil {
					continue
				}
				action, _, _, ok := parseData(*btn.CallbackData)
				if c, known := actionCode[crm.ActionKind(action)]; ok && known {
					b.WriteByte(c)
				}
			}
		}
	}
	if b.Len() == 0 {
		// Lost is only offered with Won, and Contacted before contact.
		return "cwl"
	}
	return b.String()
}

func decodeActions(codes string) []crm.ActionKind {
	var out []crm.ActionKind
	for _, k := range []crm.ActionKind{crm.ActClaim, crm.ActContacted, crm.ActWon, crm.ActLost, actCallback, crm.ActReopen} {
		if strings.IndexByte(codes, actionCode[k]) >= 0 {
			out = append(out, k)
		}
	}
	return out
}

// linkRows are the link buttons of a keyboard, kept when its actions change.
func linkRows(kb *tgbotapi.InlineKeyboardMarkup) [][]bot.Button {
	if kb == nil {
		return nil
	}
	var rows [][]bot.Button
	for _, row := range kb.InlineKeyboard {
		var r []bot.Button
		for _, btn := range row {
			if btn.URL != nil && *btn.URL != "" {
				r = append(r, bot.Button{Text: btn.Text, URL: *btn.URL})
			}
		}
		if len(r) > 0 {
			rows = append(rows, r)
		}
	}
	return rows
}

// Multipliers a rep may write after an amount, longest first so that
// "млн" is not read as "м".
var amountSuffixes = []struct {
	word string
	mult float64
}{
	{"thousand", 1e3}, {"billion", 1e9}, {"million", 1e6},
	{"млрд.", 1e9}, {"млрд", 1e9}, {"тыс.", 1e3}, {"млн.", 1e6},
	{"тыс", 1e3}, {"млн", 1e6}, {"mln", 1e6}, {"bn", 1e9},
	{"k", 1e3}, {"к", 1e3}, {"m", 1e6}, {"м", 1e6},
}

// Currency marks a rep may write around an amount; the amount is in the
// business's currency whatever the mark says.
var amountCurrencies = []string{"руб.", "руб", "rub", "р.", "₽", "usd", "$", "eur", "€", "₸", "грн", "uah", "kzt"}

var amountDigits = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// parseAmount reads an amount as people type it: "150000", "150 000",
// "150,000", "1.500.000", "1 500 000,50", "150k", "150 тыс", "1,5 млн",
// "$1.5m". With one separator followed by exactly three digits and no
// multiplier it groups thousands ("150,000"); otherwise the last separator
// is the decimal point ("1,5 млн", "1.500,50"). The amount must be
// positive; its range and cents are crm.CheckAmount's.
func parseAmount(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, c := range amountCurrencies {
		s = strings.ReplaceAll(s, c, "")
	}
	s = strings.TrimSpace(s)
	mult := 1.0
	for _, suf := range amountSuffixes {
		if rest, ok := strings.CutSuffix(s, suf.word); ok {
			s, mult = rest, suf.mult
			break
		}
	}
	num := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\u2009', '\'', '’', '_':
			return -1
		}
		return r
	}, s)
	dots, commas := strings.Count(num, "."), strings.Count(num, ",")
	switch {
	case dots > 0 && commas > 0:
		dec := max(strings.LastIndex(num, "."), strings.LastIndex(num, ","))
		decimal := num[dec : dec+1]
		if strings.Count(num, decimal) > 1 {
			return 0, false
		}
		group := map[string]string{".": ",", ",": "."}[decimal]
		num = strings.ReplaceAll(num[:dec], group, "") + "." + num[dec+1:]
	case dots+commas == 1:
		sep := strings.IndexAny(num, ".,")
		if len(num)-sep-1 == 3 && mult == 1 && sep > 0 {
			num = num[:sep] + num[sep+1:]
		} else {
			num = num[:sep] + "." + num[sep+1:]
		}
	case dots+commas > 1:
		// One kind of separator, several times: thousands, in groups of three.
		groups := strings.FieldsFunc(num, func(r rune) bool { return r == '.' || r == ',' })
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		num = strings.Join(groups, "")
	}
	if !amountDigits.MatchString(num) {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	// Digits too many for a float64 read as +Inf, which crm.CheckAmount
	// refuses as too large, as it does any amount the store cannot keep.
	v *= mult
	if v <= 0 {
		return 0, false
	}
	return v, true
}

// label capitalises a text that starts a line.
func label(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}
