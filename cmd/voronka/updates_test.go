package main

import (
	"net/http"
	"strings"
	"testing"

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
