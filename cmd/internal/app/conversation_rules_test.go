package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// photo is an update with a photo the customer sent.
func photo(chat int64, fileID, caption string) tgbotapi.Update {
	u := telegramtest.Text(chat, chat, "")
	u.Message.Photo = []tgbotapi.PhotoSize{{FileID: fileID + "-small", Width: 90, Height: 90}, {FileID: fileID, Width: 800, Height: 800}}
	u.Message.Caption = caption
	return u
}

// TestUnansweredMessageEscalates: a customer message nobody answers
// within routing.respond_within is escalated under the card once, with the
// heads mentioned; an answer before that keeps it quiet.
func TestUnansweredMessageEscalates(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	ctx := context.Background()
	const chat = 1503
	b.hotDialogueTo(chat)
	b.waitSent(salesChat, 1)
	b.say(en(telegramtest.Text(chat, chat, "Is anyone there?")))
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "Is anyone there?") == 1 })

	escalations := func() int { return countContaining(b.groupTexts(), "has waited for an answer") }
	require.NoError(t, b.app.convs.Sweep(ctx, clock.Add(9*time.Minute)))
	require.NoError(t, b.app.convs.Sweep(ctx, clock.Add(2*time.Minute)))
	b.waitFor(func() bool { return escalations() == 1 })
	for _, text := range b.groupTexts() {
		if strings.Contains(text, "has waited for an answer") {
			require.Contains(t, text, "Anna", "the head is mentioned")
		}
	}
	require.NoError(t, b.app.convs.Sweep(ctx, clock.Add(10*time.Minute)))
	require.NoError(t, b.app.convs.Sweep(ctx, clock.Add(10*time.Minute)))
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, 1, escalations(), "once")

	// Answered in time: no escalation.
	b.say(en(telegramtest.Text(chat, chat, "Hello again")))
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM message_refs r JOIN messages m ON m.id = r.message_id WHERE m.body = 'Hello again'`) == 1
	})
	var ref string
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT r.ref FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE m.body = 'Hello again'`).Scan(&ref))
	relayed, err := strconv.Atoi(ref[strings.LastIndexByte(ref, ':')+1:])
	require.NoError(t, err)
	b.say(b.tg.Reply(salesChat, 9002, relayed, "Hi, Boris here."))
	b.waitFor(func() bool { return countContaining(b.textsTo(chat), "Hi, Boris here.") == 1 })
	require.NoError(t, b.app.convs.Sweep(ctx, clock.Add(30*time.Minute)))
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, 1, escalations())
}

// TestConversationPausesOutreach: a customer who sent a photo in the
// middle of the dialogue is talking to the team; the nudge waits until the
// conversation has been quiet for relay.open_for. The photo reaches the
// team (the lead gets a card for it) and the question is asked again.
func TestConversationPausesOutreach(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} // 12:00 in Moscow
	b := setupWithDeps(t, engagementConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	ctx := context.Background()
	const chat = 1504
	b.say(en(telegramtest.Text(chat, chat, "/start")))
	b.say(en(photo(chat, "ph-1", "my current setup")))
	require.Contains(t, b.lastText(chat), "What brings you here?", "the question again")
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "📷 photo my current setup") == 1 })
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE kind = 'photo' AND media = 'ph-1'`))

	nudges := func() int { return b.count(`SELECT count(*) FROM followups`) }
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(3*time.Hour)))
	require.Equal(t, 0, nudges(), "the conversation is open")
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(22*time.Hour)))
	require.Positive(t, nudges(), "a day after the last message")
}

// TestOffHoursCustomerIsToldWhen: outside every rep's hours the customer
// who writes is told when to expect an answer, in their language and the
// team's time zone.
func TestOffHoursCustomerIsToldWhen(t *testing.T) {
	t.Parallel()
	// Saturday 21 November 2026, 15:00 in Moscow.
	clock := &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, `timezone: Europe/Moscow
team:
  - {name: Anna, role: head, telegram_id: 9001, hours: "Mon-Fri 09:00-18:00"}
  - {name: Boris, role: rep, telegram_id: 9002, hours: "Mon-Fri 10:00-19:00"}
routing: {sla_sweep: "0 0 1 1 *", warm_digest: "0 0 1 1 *"}
`, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	const chat = 1512
	b.say(telegramtest.Text(chat, chat, "/start"))
	b.say(telegramtest.Text(chat, chat, "/manager"))
	sent := b.textsTo(chat)
	require.Contains(t, sent[len(sent)-2], "Зову менеджера")
	require.Equal(t, "Сейчас менеджеры не на связи, ответим в понедельник после 09:00.", sent[len(sent)-1])
}
