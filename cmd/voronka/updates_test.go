package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// TestNULCharacterDoesNotPoisonCustomer: U+0000 (JSON's "\u0000") in a
// first name, a /start payload and a typed answer is dropped at the
// adapter; every update is a 200, the lead is stored, the replies go out,
// and the customer's later updates work as anyone's.
func TestNULCharacterDoesNotPoisonCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 531, 531
	nul := func(u tgbotapi.Update) tgbotapi.Update {
		return en(telegramtest.WithName(u, "An\x00na", "Pe\x00trova", "anna\x00p"))
	}

	require.Equal(t, http.StatusOK, b.post(nul(telegramtest.Text(chat, user, "/start s-goo\x00gle__c-sp\x00ring"))))
	require.Contains(t, b.lastText(chat), "Hello, Anna!")
	require.Equal(t, http.StatusOK, b.post(nul(telegramtest.Callback(chat, user, 1, "need:buy"))))
	require.Contains(t, b.lastText(chat), "What budget")
	require.Equal(t, http.StatusOK, b.post(nul(telegramtest.Text(chat, user, "400\x00k"))))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")

	l := b.lead(user)
	require.Equal(t, "qualifying", l.Stage)
	require.Equal(t, "Anna", l.FirstName)
	require.Equal(t, "google", l.Source)
	require.Equal(t, "spring", l.Campaign)
	require.Equal(t, "s-google__c-spring", l.Payload)
	require.Equal(t, map[string]string{"need": "buy:30", "budget": "400000:20"}, b.answers(user))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM contacts WHERE last_name <> 'Petrova' OR username <> 'annap'`))
	for _, c := range b.tg.Sent(chat) {
		require.False(t, strings.ContainsRune(c.Text, 0), "a reply carries no NUL: %q", c.Text)
	}
}

// TestBlockingTheBotMarksUnreachable: Telegram's my_chat_member "kicked"
// marks the customer unreachable at once, with nothing sent back, so the
// follow-up sweep skips them; "member" (unblocked) clears it, and the
// sweep reaches them again.
func TestBlockingTheBotMarksUnreachable(t *testing.T) {
	t.Parallel()
	b, clock := setupEngagement(t, time.Date(2026, 11, 23, 10, 0, 0, 0, moscow))
	ctx := context.Background()
	const chat = 1421
	b.say(en(telegramtest.Text(chat, chat, "/start")))
	b.say(en(telegramtest.Callback(chat, chat, 1, "need:pricing")))
	sent := len(b.tg.Sent(chat))

	require.Equal(t, http.StatusOK, b.post(telegramtest.Membership(chat, chat, "kicked")))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM contacts WHERE unreachable_at IS NOT NULL`))
	require.Len(t, b.tg.Sent(chat), sent, "nothing is said to a customer who blocked the bot")
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(3*time.Hour)))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM followups`), "the sweep skips them")

	require.Equal(t, http.StatusOK, b.post(telegramtest.Membership(chat, chat, "member")))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM contacts WHERE unreachable_at IS NOT NULL`))
	require.Len(t, b.tg.Sent(chat), sent)
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(time.Minute)))
	b.waitFor(func() bool { return b.sentTo(chat, "Still there?") == 1 })

	// The dialogue is where it was.
	b.say(en(telegramtest.Text(chat, chat, "400k")))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")
}
