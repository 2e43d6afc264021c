package bot_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/crm"
)

// nb is the group separator of every figure (U+202F).
const nb = "\u202f"

var (
	moscow  = time.FixedZone("MSK", 3*3600)
	cardNow = time.Date(2026, 3, 2, 11, 17, 0, 0, time.UTC) // 14:17 in Moscow
)

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	en, ru := bot.Format{Lang: "en"}, bot.Format{Lang: "ru"}
	require.Equal(t, "150"+nb+"000", en.Amount(150000))
	require.Equal(t, "1"+nb+"234.57", en.Amount(1234.567))
	require.Equal(t, "1"+nb+"234,57", ru.Amount(1234.567))
	require.Equal(t, "1"+nb+"500.50", en.Amount(1500.5), "cents are two digits")
	require.Equal(t, "99.90", en.Amount(99.9))
	require.Equal(t, "999", en.Amount(999))
	require.Equal(t, "—", en.Amount(nan()))
	require.Equal(t, "1"+nb+"500", bot.Format{}.Count(1500), "no language is the team's")
}

func nan() float64 { var z float64; return z / z }

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	f := bot.Format{}
	for _, tt := range []struct {
		in   string
		min  int
		want string
	}{
		{"1500000", 5, "1" + nb + "500" + nb + "000"},
		{"150000.5", 5, "150" + nb + "000.5"},
		{"-12345", 5, "-12" + nb + "345"},
		{"2026", 5, "2026"},
		{"1500", 4, "1" + nb + "500"},
		{"+79991234567", 5, "+79991234567"},
		{"12 345", 5, "12 345"},
		{"abc", 5, "abc"},
	} {
		require.Equal(t, tt.want, f.Number(tt.in, tt.min), tt.in)
	}
	require.Equal(t, "150"+nb+"000,5", bot.Format{Lang: "ru-RU"}.Number("150000.5", 4))
}

func TestFormatAge(t *testing.T) {
	t.Parallel()
	f := bot.Format{}
	for d, want := range map[time.Duration]string{
		-time.Minute:                    "<1 min",
		59 * time.Second:                "<1 min",
		time.Minute:                     "1 min",
		59*time.Minute + 59*time.Second: "59 min",
		time.Hour:                       "1 h",
		2*time.Hour + 5*time.Minute:     "2 h 5 min",
		24 * time.Hour:                  "1 d",
		76 * time.Hour:                  "3 d 4 h",
	} {
		require.Equal(t, want, f.Age(d), d.String())
	}
	require.Equal(t, "just now", f.Ago(cardNow, cardNow.Add(-30*time.Second)))
	require.Equal(t, "12 min ago", f.Ago(cardNow, cardNow.Add(-12*time.Minute)))
}

func TestFormatClock(t *testing.T) {
	t.Parallel()
	f := bot.Format{Loc: moscow}
	require.Equal(t, "14:05", f.Clock(cardNow.Add(-12*time.Minute), cardNow))
	require.Equal(t, "1 Mar 14:17", f.Clock(cardNow.Add(-24*time.Hour), cardNow))
	require.Equal(t, "2 Mar 2025 14:17", f.Clock(cardNow.AddDate(-1, 0, 0), cardNow))
	require.Equal(t, "11:17", bot.Format{}.Clock(cardNow, cardNow), "UTC without a zone")
}

func TestNewCardErased(t *testing.T) {
	t.Parallel()
	card := sameLead()
	card.Contact = crm.Contact{ID: 7}
	card.Erased, card.ErasedNote = true, "Данные клиента удалены по его просьбе"
	v := bot.NewCard(card, bot.Format{Loc: moscow})
	require.Equal(t, "🔥 Lead #42", v.Title(), "the number is not said twice")
	require.Equal(t, "Данные клиента удалены по его просьбе", v.Erased)
	require.Empty(t, v.Phone+v.Email+v.Username)

	card.ErasedNote = ""
	require.Equal(t, crm.ErasedCustomerNote, bot.NewCard(card, bot.Format{}).Erased)
}

// sameLead is a hot lead that arrived 3 h 5 min before cardNow, claimed
// yesterday evening and contacted this morning (Moscow time).
func sameLead() *crm.LeadCard {
	created := cardNow.Add(-3*time.Hour - 5*time.Minute)
	claimed := time.Date(2026, 3, 1, 18, 40, 0, 0, time.UTC)
	contacted := cardNow.Add(-time.Hour)
	return &crm.LeadCard{
		Lead: crm.Lead{ID: 42, Stage: crm.StageContacted, Score: 75, Temperature: crm.Hot, FlowID: "qualify", FlowVersion: 1,
			Attribution: crm.Attribution{Source: "google", Medium: "cpc"}, CreatedAt: created},
		Contact:  crm.Contact{ID: 7, TelegramUserID: 555, FirstName: "Ivan", LastName: "Petrov", Username: "ivanp", Phone: "+79991234567"},
		Answers:  []crm.CardAnswer{{Question: "Budget", Value: "1500000", Score: 30}},
		Assignee: &crm.Manager{ID: 1, Name: "Anna", SlackID: "U0ANNA", TelegramID: 1001},
		Claimed:  true, ClaimedAt: &claimed, ContactedAt: &contacted,
		Now: cardNow,
	}
}

// TestSlackAndTelegramCardsAgree renders one lead for Slack and for the
// Telegram sales group and reads the amount, the age and the clock times
// back out of each: they are the same text.
func TestSlackAndTelegramCardsAgree(t *testing.T) {
	t.Parallel()
	contacted := sameLead()
	won := sameLead()
	won.Lead.Stage, won.Amount = crm.StageWon, 1234567.5

	slackTexts := func(card *crm.LeadCard) string {
		srv := slackfake.NewServer(t)
		n := slack.NewNotifier(slack.NewClient(slackfake.Token, srv.URL(), nil), "#sales", nil, slack.Options{TimeZone: moscow})
		_, err := n.PostCard(context.Background(), card)
		require.NoError(t, err)
		return srv.CallsTo("chat.postMessage")[0].Texts()
	}
	telegramText := func(card *crm.LeadCard) string {
		s := &recordingSender{}
		_, err := telegram.NewSalesGroup(s, -100, telegram.SalesGroupOptions{TimeZone: moscow}).PostCard(context.Background(), card)
		require.NoError(t, err)
		return s.sent[0].Text
	}
	find := func(text, pattern string) []string {
		m := regexp.MustCompile(pattern).FindStringSubmatch(text)
		require.NotNil(t, m, "%q in\n%s", pattern, text)
		return m[1:]
	}

	sl, tg := slackTexts(contacted), telegramText(contacted)
	slackArrived := find(sl, `\*Arrived\*\n(.+) · (.+)`)
	telegramArrived := find(tg, `🕒 Arrived (.+) \((.+)\)`)
	require.Equal(t, []string{"3 h 5 min ago", "11:12"}, slackArrived)
	require.Equal(t, slackArrived, telegramArrived, "age and clock of arrival")
	require.Equal(t, []string{"1 Mar 21:40"}, find(sl, `Claimed by Anna at (.+)`))
	require.Equal(t, find(sl, `Claimed by Anna at (.+)`), find(tg, `Claimed by Anna at (.+)`), "clock of a claim on another day")
	require.Equal(t, find(sl, `\*Stage\*\nContacted · (.+)`), find(tg, `📞 Contacted at (.+)`), "clock of contact")
	require.Equal(t, find(sl, `Budget: (\S+)`), find(tg, `Budget: (\S+)`), "a number answer")

	sl, tg = slackTexts(won), telegramText(won)
	require.Equal(t, []string{"1" + nb + "234" + nb + "567.50"}, find(sl, `✅ \*Won\* · (.+) · by`))
	require.Equal(t, find(sl, `✅ \*Won\* · (.+) · by`), find(tg, `✅ Won: (.+)`), "amount of the sale")
}

// recordingSender is a bot.Sender that keeps what it is given.
type recordingSender struct {
	mu   sync.Mutex
	sent []bot.Message
}

func (s *recordingSender) Send(_ context.Context, m bot.Message) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return len(s.sent), nil
}

func (s *recordingSender) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }
