package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// scriptCounter counts the Lua scripts sent to Redis, and apart from them
// the sliding window's (admit and done around each Telegram call, which
// are not the update's own round trips).
type scriptCounter struct{ n, window atomic.Int64 }

func (c *scriptCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c *scriptCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if name := strings.ToLower(cmd.Name()); name == "evalsha" || name == "eval" {
			if args := cmd.Args(); len(args) > 3 && strings.Contains(fmt.Sprint(args[3]), ":window:") {
				c.window.Add(1)
			} else {
				c.n.Add(1)
			}
		}
		return next(ctx, cmd)
	}
}
func (c *scriptCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// TestAnUpdateCostsThreeRedisRoundTrips: a customer's answer takes its
// chat (enter), commits the session with the reply's rate-limit slots
// (one script: the wiring of bot.ReservingTurn and bot.ReservingReplier),
// and lets go (release); the button press is answered in the webhook's
// response. Were the reservation its own call again, this would count 4.
// A typed answer costs two: its reply rides on the response, and the
// commit lets go of the chat.
func TestAnUpdateCostsThreeRedisRoundTrips(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 611, 611
	b.say(en(telegramtest.Text(chat, user, "/start")))
	require.Contains(t, b.lastText(chat), "What brings you here")

	counter := &scriptCounter{}
	b.rdb.AddHook(counter)
	b.say(en(telegramtest.Callback(chat, user, 1, "need:buy")))
	require.Contains(t, b.lastText(chat), "What budget")
	require.Equal(t, int64(3), counter.n.Load(), "enter, commit with the reservation, release")
	require.Positive(t, counter.window.Load(), "the replies passed the window at Telegram's real rates")
	_, err := b.tg.WaitCalls(t.Context(), "answerCallbackQuery", 1)
	require.NoError(t, err, "the press is answered (in the webhook's response)")

	// A typed answer's reply is one message, which rides on the webhook's
	// response: nothing is called while the chat is held, so the commit
	// lets go of it too. Were the release its own script again, this
	// would count 3.
	counter.n.Store(0)
	calls := len(b.tg.Calls())
	status, answer := b.postAnswer(en(telegramtest.Text(chat, user, "150000")))
	require.Equal(t, 200, status)
	require.Contains(t, string(answer), `"method":"sendMessage"`, "the next question is the webhook's answer")
	require.Len(t, b.tg.Calls(), calls, "no Bot API call of its own")
	require.Equal(t, int64(2), counter.n.Load(), "enter, commit with the reservation and the release")
	require.NoError(t, b.tg.WebhookAnswer(answer))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")
}
