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
		c.count(cmd)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts the scripts of a pipeline (the gate's calls
// of concurrent updates go together) one by one, as if each went alone.
func (c *scriptCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *scriptCounter) count(cmd goredis.Cmder) {
	if name := strings.ToLower(cmd.Name()); name == "evalsha" || name == "eval" {
		if args := cmd.Args(); len(args) > 3 && strings.Contains(fmt.Sprint(args[3]), ":window:") {
			c.window.Add(1)
		} else {
			c.n.Add(1)
		}
	}
}

// TestAnUpdateCostsTwoRedisRoundTrips: a customer's answer takes its
// chat (enter), and commits the session with the reply's rate-limit slots
// and the chat's release (one script: the wiring of bot.ReservingTurn and
// bot.ReservingReplier); the button press is answered in the webhook's
// response, the echo and the next question are sent after the commit.
// Were the reservation or the release its own call again, this would
// count 3. A typed answer costs two as well: its reply rides on the
// response.
func TestAnUpdateCostsTwoRedisRoundTrips(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 611, 611
	b.say(en(telegramtest.Text(chat, user, "/start")))
	require.Contains(t, b.lastText(chat), "What brings you here")

	counter := &scriptCounter{}
	b.rdb.AddHook(counter)
	b.say(en(telegramtest.Callback(chat, user, 1, "need:buy")))
	require.Contains(t, b.lastText(chat), "What budget")
	require.Equal(t, int64(2), counter.n.Load(), "enter, commit with the reservation and the release")
	require.Positive(t, counter.window.Load(), "the replies passed the window at Telegram's real rates")
	_, err := b.tg.WaitCalls(t.Context(), "answerCallbackQuery", 1)
	require.NoError(t, err, "the press is answered (in the webhook's response)")

	// A typed answer's reply is one message, which rides on the webhook's
	// response.
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
