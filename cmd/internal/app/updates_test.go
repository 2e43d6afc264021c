package app

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
	b.waitFor(func() bool { return b.sentTo(chat, "Test, still there?") == 1 })

	// The dialogue is where it was.
	b.say(en(telegramtest.Text(chat, chat, "400k")))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")
}

// withID is u with Telegram's update id set.
func withID(u tgbotapi.Update, id int) tgbotapi.Update {
	u.UpdateID = id
	return u
}

// TestLateUpdateIsNotAppliedToTheCurrentStep: the customer types "1" for
// the timeline and "2" for the role; Telegram delivers "2" first (it was
// stored as the timeline: nothing can tell yet). When "1" arrives it is
// older than the chat's last update: it is kept on the lead's timeline as
// a late message, not stored as the role, and the role question is asked
// again. The same holds when Redis lost the session in between (the last
// update id comes from the answers in PostgreSQL).
func TestLateUpdateIsNotAppliedToTheCurrentStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, flush := range []bool{false, true} {
		chat := int64(541 + i)
		base := 5000 + 100*i
		b.say(en(withID(telegramtest.Text(chat, chat, "/start"), base+1)))
		b.say(en(withID(telegramtest.Callback(chat, chat, 1, "need:buy"), base+2)))
		b.say(en(withID(telegramtest.Text(chat, chat, "400k"), base+3)))
		require.Contains(t, b.lastText(chat), "When are you planning to start?")

		b.say(en(withID(telegramtest.Text(chat, chat, "2"), base+5)))
		require.Contains(t, b.lastText(chat), "Who makes the purchase decision?")
		if flush {
			keys, err := b.rdb.Keys(context.Background(), b.prefix+"*sess*").Result()
			require.NoError(t, err)
			require.NotEmpty(t, keys)
			require.NoError(t, b.rdb.Del(context.Background(), keys...).Err())
		}
		sent := len(b.tg.Sent(chat))
		b.say(en(withID(telegramtest.Text(chat, chat, "1"), base+4)))
		require.NotContains(t, b.answers(chat), "role", "the late text is not the role (flush %v)", flush)
		require.Len(t, b.tg.Sent(chat), sent+1)
		require.Contains(t, b.lastText(chat), "Who makes the purchase decision?", "asked again")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM events e JOIN leads l ON l.id = e.lead_id JOIN contacts c ON c.id = l.contact_id
			WHERE c.telegram_user_id = $1 AND e.kind = 'message' AND e.data->>'text' = '1' AND (e.data->>'late')::boolean
			AND e.data->>'step' = 'role' AND (e.data->>'update_id')::int = $2`, chat, base+4), "the text is kept")

		// The dialogue goes on from the role.
		b.say(en(withID(telegramtest.Callback(chat, chat, 2, "role:decision_maker"), base+6)))
		require.Contains(t, b.answers(chat), "role")
		require.Contains(t, b.lastText(chat), "How many people")
	}
}

// TestLowerUpdateIDAfterAWeekIsNotLate: Telegram may restart update ids
// at a random, lower number after a week without updates; a customer
// writing then is answered as usual.
func TestLowerUpdateIDAfterAWeekIsNotLate(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, "", nil, clock)
	const chat = 551
	b.say(en(withID(telegramtest.Text(chat, chat, "/start"), 900001)))
	b.say(en(withID(telegramtest.Callback(chat, chat, 1, "need:buy"), 900002)))
	clock.Add(8 * 24 * time.Hour)
	b.say(en(withID(telegramtest.Text(chat, chat, "400k"), 17)))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")
	require.Contains(t, b.answers(chat), "budget")
}
