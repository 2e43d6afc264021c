package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/crm"
)

var moscow = time.FixedZone("MSK", 3*60*60)

// testNow is 14:17 in Moscow.
var testNow = time.Date(2026, 3, 2, 11, 17, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := testNow.Add(d); return &t }

// hotCard is a qualified hot lead that arrived 12 minutes ago (14:05 in
// Moscow) and nobody has yet.
func hotCard() *crm.LeadCard {
	return &crm.LeadCard{
		Lead: crm.Lead{
			ID: 42, Stage: crm.StageQualified, Score: 75, Temperature: crm.Hot, FlowID: "qualify", FlowVersion: 1,
			Attribution: crm.Attribution{Source: "google", Medium: "cpc", Campaign: "black_friday", Landing: "pricing"},
			CreatedAt:   testNow.Add(-12 * time.Minute), QualifiedAt: at(-10 * time.Minute),
		},
		Contact: crm.Contact{ID: 7, TelegramUserID: 555, FirstName: "Ivan", LastName: "Petrov", Username: "ivanp",
			Phone: "+79991234567", Email: "ivan@example.com"},
		Answers: []crm.CardAnswer{
			{Question: "Budget", Value: "1500000", Score: 30},
			{Question: "What brings you here?", Value: "Buy", Score: 45},
			{Question: "Email", Value: "ivan@example.com"},
		},
		Now: testNow,
	}
}

var anna = crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead, SlackID: "U0ANNA"}

// rendered is a card as the fake server would record it.
func rendered(t *testing.T, card *crm.LeadCard, withTelegram bool) (texts string, buttons []slackfake.Button) {
	t.Helper()
	raw, err := json.Marshal(cardBlocks(card, bot.Format{Loc: moscow}, withTelegram))
	require.NoError(t, err)
	return slackfake.Texts(raw), slackfake.Buttons(raw)
}

func actionIDs(buttons []slackfake.Button) []string {
	out := []string{}
	for _, b := range buttons {
		out = append(out, b.ActionID)
	}
	return out
}

func TestCardBlocksByStage(t *testing.T) {
	t.Parallel()

	common := []string{
		"🔥 Ivan Petrov · Lead #42",
		"*Contact*\n+79991234567\nivan@example.com\n@ivanp",
		"*Score*\n75",
		"*Temperature*\n🔥 Hot",
		"*Source*\ngoogle / cpc / black_friday",
		"*Landing*\npricing",
		"*Arrived*\n12 min ago · 14:05",
		"*Score 75, why:*\n• Budget: 1\u202f500\u202f000 (+30)\n• What brings you here? Buy (+45)\n• Email: ivan@example.com",
		"Lead #42 · flow qualify v1",
	}
	tests := []struct {
		name    string
		edit    func(c *crm.LeadCard)
		want    []string
		notWant []string
		buttons []string
	}{
		{
			name:    "unclaimed, first to claim",
			edit:    func(c *crm.LeadCard) {},
			want:    []string{"*Stage*\nQualified", "*Assignee*\nNot claimed yet: first to claim takes it"},
			notWant: []string{"*SLA*", "this lead is yours"},
			buttons: []string{"claim", "open_telegram"},
		},
		{
			name:    "assigned by routing, not yet claimed",
			edit:    func(c *crm.LeadCard) { c.Assignee = &anna },
			want:    []string{"*Assignee*\nAssigned to Anna", "<@U0ANNA>, this lead is yours: press Claim to take it."},
			buttons: []string{"claim", "open_telegram"},
		},
		{
			name:    "waiting for a rep on duty",
			edit:    func(c *crm.LeadCard) { c.Waiting = true },
			want:    []string{"*Assignee*\nWaiting for a rep on duty"},
			buttons: []string{"claim", "open_telegram"},
		},
		{
			name: "claimed",
			edit: func(c *crm.LeadCard) {
				c.Assignee, c.Claimed, c.ClaimedAt = &anna, true, at(-2*time.Minute)
			},
			want:    []string{"*Assignee*\nClaimed by Anna at 14:15", "*Stage*\nQualified"},
			notWant: []string{"this lead is yours"},
			buttons: []string{"contacted", "won", "lost", "open_telegram"},
		},
		{
			name:    "escalated twice",
			edit:    func(c *crm.LeadCard) { c.Escalations = 2 },
			want:    []string{"*SLA*\n⚠️ 2 escalations"},
			buttons: []string{"claim", "open_telegram"},
		},
		{
			name: "contacted",
			edit: func(c *crm.LeadCard) {
				c.Lead.Stage = crm.StageContacted
				c.Assignee, c.Claimed, c.ClaimedAt, c.ContactedAt = &anna, true, at(-5*time.Minute), at(-1*time.Minute)
			},
			want:    []string{"*Stage*\nContacted · 14:16", "Claimed by Anna at 14:12"},
			buttons: []string{"won", "lost", "open_telegram"},
		},
		{
			name: "won",
			edit: func(c *crm.LeadCard) {
				c.Lead.Stage = crm.StageWon
				c.Assignee, c.Claimed, c.Amount = &anna, true, 150000
			},
			want:    []string{"*Stage*\nWon", "✅ *Won* · 150\u202f000 · by Anna"},
			buttons: []string{},
		},
		{
			name: "lost",
			edit: func(c *crm.LeadCard) {
				c.Lead.Stage, c.Lead.LostReason = crm.StageLost, "Too expensive"
				c.Assignee, c.Claimed = &anna, true
			},
			want:    []string{"*Stage*\nLost", "❌ *Lost* · too expensive or no budget · by Anna"},
			buttons: []string{"reopen", "open_telegram"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card := hotCard()
			tt.edit(card)
			texts, buttons := rendered(t, card, true)
			for _, w := range append(common, tt.want...) {
				require.Contains(t, texts, w)
			}
			for _, nw := range tt.notWant {
				require.NotContains(t, texts, nw)
			}
			require.Equal(t, tt.buttons, actionIDs(buttons))
			for _, b := range buttons {
				if b.ActionID == "open_telegram" {
					require.Equal(t, "https://t.me/ivanp", b.URL)
					require.Equal(t, "Open in Telegram", b.Text)
				}
				require.Equal(t, "42", b.Value, "every button carries the lead id")
			}
		})
	}
}

func TestCardButtonStyles(t *testing.T) {
	t.Parallel()
	card := hotCard()
	_, buttons := rendered(t, card, true)
	require.Equal(t, "primary", buttons[0].Style, "Claim is the primary action")

	card.Assignee, card.Claimed = &anna, true
	_, buttons = rendered(t, card, true)
	styles := map[string]string{}
	for _, b := range buttons {
		styles[b.ActionID] = b.Style
	}
	require.Equal(t, map[string]string{"contacted": "", "won": "primary", "lost": "danger", "open_telegram": ""}, styles)
}

func TestCardTelegramLink(t *testing.T) {
	t.Parallel()

	card := hotCard()
	card.Contact.Username = ""
	_, buttons := rendered(t, card, true)
	require.Equal(t, "tg://user?id=555", buttons[len(buttons)-1].URL, "without a username, the id link")
	require.True(t, hasTelegramScheme(card))

	_, buttons = rendered(t, card, false)
	require.Equal(t, []string{"claim"}, actionIDs(buttons), "withTelegram=false drops the link")

	card.Contact.TelegramUserID = 0
	_, buttons = rendered(t, card, true)
	require.Equal(t, []string{"claim"}, actionIDs(buttons), "no link without a Telegram id")
}

func TestCardErasedContact(t *testing.T) {
	t.Parallel()
	card := hotCard()
	card.Contact = crm.Contact{ID: 7} // after /forget
	card.Answers = nil
	card.Lead.Attribution = crm.Attribution{}
	card.Lead.Temperature = crm.Warm
	texts, buttons := rendered(t, card, true)
	require.Contains(t, texts, "🌤 Lead #42")
	require.Contains(t, texts, "*Contact*\n—")
	require.Contains(t, texts, "*Source*\ndirect")
	require.NotContains(t, texts, "*Landing*")
	require.NotContains(t, texts, "why:")
	require.Equal(t, []string{"claim"}, actionIDs(buttons))
}

// A customer's name or answer must not mention @channel or break the
// markup: &, < and > are escaped in mrkdwn.
func TestCardEscapesCustomerText(t *testing.T) {
	t.Parallel()
	card := hotCard()
	card.Contact.Username = ""
	card.Contact.Email = "<!channel>@x.io"
	card.Answers = []crm.CardAnswer{{Question: "Company", Value: "<!here> Smith & Sons <https://evil.example|click>"}}
	texts, _ := rendered(t, card, true)
	require.NotContains(t, texts, "<!channel>")
	require.NotContains(t, texts, "<!here>")
	require.Contains(t, texts, "&lt;!here&gt; Smith &amp; Sons &lt;https://evil.example|click&gt;")
	require.Contains(t, cardText(card, bot.Format{Loc: moscow}), "Ivan Petrov")
}

// Whatever the customer typed, the card stays within Slack's limits, or
// Slack would refuse the whole message.
func TestCardWithinSlackLimits(t *testing.T) {
	t.Parallel()
	card := hotCard()
	long := strings.Repeat("Очень длинный ответ 🙂 ", 400)
	card.Contact.FirstName = long
	card.Lead.Attribution.Landing = long
	for range 200 {
		card.Answers = append(card.Answers, crm.CardAnswer{Question: long, Value: long, Score: 1})
	}
	blocks := cardBlocks(card, bot.Format{Loc: moscow}, true)
	raw, err := json.Marshal(blocks)
	require.NoError(t, err)

	var list []map[string]any
	require.NoError(t, json.Unmarshal(raw, &list))
	require.LessOrEqual(t, len(list), 50)
	for _, b := range list {
		switch b["type"] {
		case "header":
			require.LessOrEqual(t, utf8.RuneCountInString(b["text"].(map[string]any)["text"].(string)), maxHeader)
		case "section":
			if tx, ok := b["text"].(map[string]any); ok {
				require.LessOrEqual(t, utf8.RuneCountInString(tx["text"].(string)), maxSection)
			}
			fields, _ := b["fields"].([]any)
			require.LessOrEqual(t, len(fields), 10)
			for _, f := range fields {
				require.LessOrEqual(t, utf8.RuneCountInString(f.(map[string]any)["text"].(string)), maxField)
			}
		}
	}
	require.Contains(t, slackfake.Texts(raw), "…and ")
	require.LessOrEqual(t, utf8.RuneCountInString(cardText(card, bot.Format{Loc: moscow})), maxFallback+20)
}

func TestFollowUpTexts(t *testing.T) {
	t.Parallel()
	card := hotCard()
	boris := crm.Manager{Name: "Boris", SlackID: "U0BORIS"}
	noSlack := crm.Manager{Name: "Vera <admin>"}

	require.Equal(t, "⏰ Unclaimed for 10 min: 🔥 Ivan Petrov — <@U0ANNA> Vera &lt;admin&gt;",
		escalationText(card, []crm.Manager{anna, noSlack}, "en"))
	require.Equal(t, "⏰ Unclaimed for 10 min: 🔥 Ivan Petrov — anyone free?", escalationText(card, nil, "en"))

	card.Assignee, card.Claimed, card.ClaimedAt = &boris, true, at(-20*time.Minute)
	require.Equal(t, "⏳ <@U0BORIS>, Ivan Petrov is still waiting for your call: claimed 20 min ago. Press Contacted once you have talked.",
		reminderText(card, boris, "en"))
}

func TestDigestBlocks(t *testing.T) {
	t.Parallel()
	warm := hotCard()
	warm.Lead.Temperature, warm.Lead.Score = crm.Warm, 45
	claimed := hotCard()
	claimed.Lead.ID, claimed.Contact.Username, claimed.Contact.FirstName = 43, "", "Olga"
	claimed.Contact.LastName = ""
	claimed.Assignee, claimed.Claimed, claimed.ClaimedAt = &anna, true, at(-time.Hour)

	raw, err := json.Marshal(digestBlocks("Warm leads of Monday", []*crm.LeadCard{warm, claimed}, bot.Format{Loc: moscow}))
	require.NoError(t, err)
	texts := slackfake.Texts(raw)
	require.Contains(t, texts, "Warm leads of Monday")
	require.Contains(t, texts, "🌤 <https://t.me/ivanp|*Ivan Petrov*> · score 45 · google / cpc / black_friday")
	require.Contains(t, texts, "Lead #42 · qualified · arrived 12 min ago (14:05)")
	require.Contains(t, texts, "🔥 *Olga* · score 75")
	require.Contains(t, texts, "claimed by Anna at 13:17")
	buttons := slackfake.Buttons(raw)
	require.Len(t, buttons, 1, "only the unclaimed lead gets a Claim button")
	require.Equal(t, slackfake.Button{BlockID: "b1", ActionID: "claim", Text: "🙋 Claim", Value: "42", Style: "primary"}, buttons[0])

	var many []*crm.LeadCard
	for i := range 60 {
		c := hotCard()
		c.Lead.ID = int64(100 + i)
		many = append(many, c)
	}
	raw, err = json.Marshal(digestBlocks("Many", many, bot.Format{Loc: moscow}))
	require.NoError(t, err)
	var list []any
	require.NoError(t, json.Unmarshal(raw, &list))
	require.LessOrEqual(t, len(list), 50)
	require.Contains(t, slackfake.Texts(raw), "…and 15 more.")
}

// TestCardOfForgottenCustomer: a card crm.Sales built after /forget shows
// the lead's number, stage and amount, says the data are erased and links
// to no one; its fallback text and a digest line say it too.
func TestCardOfForgottenCustomer(t *testing.T) {
	t.Parallel()
	card := hotCard()
	card.Contact = crm.Contact{ID: 7}
	card.Answers[2].Value = "—"
	card.Erased, card.ErasedNote = true, "Данные клиента удалены по его просьбе"
	card.Lead.Stage, card.Amount, card.Assignee, card.Claimed = crm.StageWon, 150000, &anna, true
	texts, buttons := rendered(t, card, true)
	require.Contains(t, texts, "🔥 Lead #42")
	require.Contains(t, texts, "🔒 Данные клиента удалены по его просьбе")
	require.Contains(t, texts, "*Contact*\n—")
	require.Contains(t, texts, "150\u202f000")
	require.Empty(t, actionIDs(buttons), "a won lead has no buttons and nobody to link to")
	fallback := cardText(card, bot.Format{Loc: moscow})
	require.Contains(t, fallback, "Lead #42")
	require.Contains(t, fallback, "Данные клиента удалены по его просьбе")
	require.Contains(t, digestLine(card, bot.Format{Loc: moscow}), "🔒 Данные клиента удалены по его просьбе")

	card.Lead.Stage, card.Claimed, card.Assignee = crm.StageQualified, false, nil
	_, buttons = rendered(t, card, true)
	require.Equal(t, []string{"claim"}, actionIDs(buttons), "no Open in Telegram")

	card.ErasedNote = ""
	texts, _ = rendered(t, card, true)
	require.Contains(t, texts, "🔒 "+crm.ErasedCustomerNote)
	for _, personal := range []string{"Ivan", "Petrov", "ivanp", "+7999", "ivan@", "555"} {
		require.NotContains(t, texts, personal)
	}
}
