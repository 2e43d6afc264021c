package app

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/console"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestRetryAfterIsWaitedOut: a 429 with retry_after from the Bot API is
// waited out (the injected sleep is asked for the full wait) and the reply
// is delivered exactly once. The reply is a call of its own here
// (webhook_replies off): a reply riding on the webhook response is made by
// Telegram, which tells nothing back.
func TestRetryAfterIsWaitedOut(t *testing.T) {
	t.Parallel()
	b := setupWith(t, "telegram: {webhook_replies: false}\n")
	const chat = 601
	b.tg.Fail("sendMessage", 1, 429, 3)
	b.say(en(telegramtest.Text(chat, chat, "/start")))

	require.Equal(t, 1, b.tg.Failed("sendMessage"))
	require.Len(t, b.tg.Sent(chat), 1, "delivered once")
	require.Contains(t, b.lastText(chat), "What brings you here?")
	require.Contains(t, b.slept.all(), 3*time.Second)
}

// TestCommandsAtAnyStep: /help re-asks the question, /restart starts over
// and keeps the earlier answers superseded in PostgreSQL, /cancel closes
// the lead as lost, and text after the dialogue lands on the timeline.
func TestCommandsAtAnyStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 602, 602
	b.say(en(telegramtest.Text(chat, user, "/start")))
	b.say(en(telegramtest.Callback(chat, user, 1, "need:pricing")))

	b.say(en(telegramtest.Text(chat, user, "/help")))
	sent := b.tg.Sent(chat)
	require.Contains(t, sent[len(sent)-2].Text, "/restart")
	require.Contains(t, sent[len(sent)-1].Text, "What budget", "help asks the question again")

	// A sticker is not an answer: a hint and the question again.
	b.say(en(telegramtest.Sticker(chat, user)))
	require.Contains(t, b.lastText(chat), "What budget")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM answers`))

	// A button of an answered question changes nothing.
	b.say(en(telegramtest.Callback(chat, user, 1, "need:buy")))
	require.Equal(t, map[string]string{"need": "pricing:15"}, b.answers(user))

	b.say(en(telegramtest.Text(chat, user, "/restart")))
	require.Contains(t, b.lastText(chat), "What brings you here?")
	require.Empty(t, b.answers(user))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM answers WHERE superseded_at IS NOT NULL`), "kept, superseded")
	b.say(en(telegramtest.Callback(chat, user, 2, "need:buy")))
	require.Equal(t, map[string]string{"need": "buy:30"}, b.answers(user))

	b.say(en(telegramtest.Text(chat, user, "/cancel")))
	require.Contains(t, b.lastText(chat), "/start")
	l := b.lead(user)
	require.Equal(t, "lost", l.Stage)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE lost_reason = 'cancelled'`))

	// After a cancel, a new message opens a new lead.
	b.say(en(telegramtest.Text(chat, user, "hello again")))
	require.Equal(t, 2, b.count(`SELECT count(*) FROM leads`))
	require.Contains(t, b.lastText(chat), "What brings you here?")
}

// TestTextAfterQualifiedIsKept: what a customer writes after finishing is
// a message of the lead's conversation, for the team, not dropped.
func TestTextAfterQualifiedIsKept(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 603, 603
	for _, u := range []string{"/start", "Support", "My invoice is wrong", "me@example.org"} {
		b.say(en(telegramtest.Text(chat, user, u)))
	}
	require.Contains(t, b.lastText(chat), "support team")
	require.Equal(t, "qualified", b.lead(user).Stage)

	// The support option hands off: the conversation opened as the
	// dialogue ended, so the next message goes to the team without a
	// canned answer.
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE kind = 'handoff' AND body = 'Support'`))
	before := len(b.tg.Sent(chat))
	b.say(en(telegramtest.Text(chat, user, "Also, please call me")))
	require.Len(t, b.tg.Sent(chat), before)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE direction = 'in' AND body = 'Also, please call me'`))
	b.say(en(telegramtest.Text(chat, user, "/start")))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads`), "no second lead while the first is with the team")
}

// TestLongPolling runs the App in long-polling mode against the test Bot
// API server: updates are fetched, handled and answered.
func TestLongPolling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	delete(b.env, "TELEGRAM_WEBHOOK_URL")
	delete(b.env, "TELEGRAM_WEBHOOK_SECRET")
	b.start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.app.Serve(ctx, ln) }()

	const chat = 604
	b.tg.PushUpdate(en(telegramtest.Text(chat, chat, "/start s-poll")))
	b.tg.PushUpdate(en(telegramtest.Callback(chat, chat, 1, "need:buy")))
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	_, err = b.tg.WaitCalls(wctx, "sendMessage", 2)
	require.NoError(t, err)
	require.Contains(t, b.lastText(chat), "What budget")
	require.Equal(t, "poll", b.lead(chat).Source)

	cancel()
	require.NoError(t, <-done)
	require.Zero(t, b.tg.Pending(), "handled updates are confirmed to Telegram")
}

// TestBrokenFlowRefusedAtStart: a flow with a mistake stops start-up with
// the file, the line, the step and what is wrong.
func TestBrokenFlowRefusedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "flows", "qualify.yaml"))
	require.NoError(t, err)
	broken := strings.Replace(string(good), "next: timeline", "next: timelime", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qualify.yaml"), []byte(broken), 0o600))

	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"VORONKA_CONFIG": writeConfig(t, "flows: "+dir+"\n")}[k]
	})
	require.NoError(t, err)
	_, err = NewApp(context.Background(), cfg, nil, Deps{})
	require.Error(t, err)
	require.Regexp(t, `qualify\.yaml:\d+: step budget: .*"timelime"`, err.Error())
}

// TestUnmigratedDatabaseSaysToMigrate: serve on an empty schema stops with
// what to run, not with a missing relation.
func TestUnmigratedDatabaseSaysToMigrate(t *testing.T) {
	t.Parallel()
	db := postgrestest.Open(t, postgrestest.NewSchema(t))
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"VORONKA_CONFIG": writeConfig(t, "flows: "+filepath.Join("..", "..", "..", "configs", "flows")+"\n")}[k]
	})
	require.NoError(t, err)
	_, err = NewApp(context.Background(), cfg, nil, Deps{DB: db, Sender: console.New(io.Discard, console.Options{})})
	require.EqualError(t, err, "database: no migrations applied: run `voronka migrate` first, or `voronka serve --migrate`")
}
