package console_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/console"
)

const user = -42

func setup(t *testing.T, opts console.Options) (*console.Console, *strings.Builder) {
	t.Helper()
	var out strings.Builder
	opts.User = bot.User{ID: user, FirstName: "Anna", Language: "en"}
	return console.New(&out, opts), &out
}

func send(t *testing.T, c *console.Console, m bot.Message) int {
	t.Helper()
	if m.ChatID == 0 {
		m.ChatID = user
	}
	id, err := c.Send(context.Background(), m)
	require.NoError(t, err)
	return id
}

func row(buttons ...bot.Button) []bot.Button { return buttons }

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts console.Options
		msg  bot.Message
		want string
	}{
		{
			name: "text",
			msg:  bot.Message{Text: "Hello, Anna!"},
			want: "bot: Hello, Anna!\n",
		},
		{
			name: "several lines are indented under the first",
			msg:  bot.Message{Text: "Line one\nLine two"},
			want: "bot: Line one\n     Line two\n",
		},
		{
			name: "buttons in rows of one fit on a line",
			msg: bot.Message{Text: "What brings you here?", Buttons: [][]bot.Button{
				row(bot.Button{Text: "Buy", Data: "need:buy"}),
				row(bot.Button{Text: "Pricing", Data: "need:pricing"}),
				row(bot.Button{Text: "Skip", Data: "need:!skip"}),
			}},
			want: "bot: What brings you here?\n     [1] Buy  [2] Pricing  [3] Skip\n",
		},
		{
			name: "too wide for a line: one row a line",
			opts: console.Options{Width: 30},
			msg: bot.Message{Text: "Pick", Buttons: [][]bot.Button{
				row(bot.Button{Text: "A long first option", Data: "a"}, bot.Button{Text: "B", Data: "b"}),
				row(bot.Button{Text: "A long third option", Data: "c"}),
			}},
			want: "bot: Pick\n     [1] A long first option  [2] B\n     [3] A long third option\n",
		},
		{
			name: "link buttons are shown, not numbered",
			msg: bot.Message{Text: "See", Buttons: [][]bot.Button{
				row(bot.Button{Text: "Site", URL: "https://example.com"}, bot.Button{Text: "OK", Data: "ok"}),
			}},
			want: "bot: See\n     [1] OK\n     [link] Site: https://example.com\n",
		},
		{
			name: "contact request is a hint to type /contact",
			msg:  bot.Message{Text: "Your phone, please", RequestContact: "📱 Share my number"},
			want: "bot: Your phone, please\n     [📱 Share my number] type /contact and your number, e.g. /contact +79161234567\n",
		},
		{
			name: "another chat is named",
			msg:  bot.Message{ChatID: -100500, Text: "New hot lead"},
			want: "bot → chat -100500: New hot lead\n",
		},
		{
			name: "colour only when asked",
			opts: console.Options{Color: true},
			msg:  bot.Message{Text: "Hi", Buttons: [][]bot.Button{row(bot.Button{Text: "Yes", Data: "y"})}},
			want: "\x1b[1;36mbot:\x1b[0m Hi\n     \x1b[1m[1]\x1b[0m Yes\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, out := setup(t, tt.opts)
			send(t, c, tt.msg)
			require.Equal(t, tt.want, out.String())
			if !tt.opts.Color {
				require.NotContains(t, out.String(), "\x1b", "no ANSI codes unless asked")
			}
		})
	}
}

func TestMessageIDsAndEdits(t *testing.T) {
	t.Parallel()
	c, out := setup(t, console.Options{})
	require.Equal(t, 1, send(t, c, bot.Message{Text: "one"}))
	multi := send(t, c, bot.Message{Text: "Pick some", Buttons: [][]bot.Button{
		row(bot.Button{Text: "Price", Data: "i:price"}), row(bot.Button{Text: "Done", Data: "i:!done"}),
	}})
	require.Equal(t, 2, multi)

	u, action := c.Parse("1")
	require.Equal(t, console.Deliver, action)
	require.Equal(t, bot.InputButton, u.Kind)
	require.Equal(t, "i:price", u.Button)
	require.Equal(t, multi, u.ButtonMessageID)

	out.Reset()
	id := send(t, c, bot.Message{Text: "Pick some", EditMessageID: multi, Buttons: [][]bot.Button{
		row(bot.Button{Text: "✅ Price", Data: "i:price"}), row(bot.Button{Text: "Speed", Data: "i:speed"}),
		row(bot.Button{Text: "Done", Data: "i:!done"}),
	}})
	require.Equal(t, multi, id, "an edit keeps the message id")
	require.Equal(t, "bot (edited): Pick some\n     [1] ✅ Price  [2] Speed  [3] Done\n", out.String())
	u, _ = c.Parse("3")
	require.Equal(t, "i:!done", u.Button, "the edit renumbers the buttons")
	require.Equal(t, 3, send(t, c, bot.Message{Text: "three"}), "ids keep increasing after an edit")
}

func TestParse(t *testing.T) {
	t.Parallel()
	c, out := setup(t, console.Options{})
	send(t, c, bot.Message{Text: "What brings you here?", Buttons: [][]bot.Button{
		row(bot.Button{Text: "Buy", Data: "need:buy"}), row(bot.Button{Text: "Pricing", Data: "need:pricing"}),
	}})
	base := bot.Update{ChatID: user, Private: true, User: bot.User{ID: user, FirstName: "Anna", Language: "en"}}
	with := func(f func(u *bot.Update)) bot.Update {
		u := base
		f(&u)
		return u
	}

	tests := []struct {
		line   string
		want   bot.Update
		action console.Action
	}{
		{"2", with(func(u *bot.Update) {
			u.Kind, u.Button, u.ButtonMessageID, u.CallbackID = bot.InputButton, "need:pricing", 1, "console-1"
		}), console.Deliver},
		{" 1 ", with(func(u *bot.Update) {
			u.Kind, u.Button, u.ButtonMessageID, u.CallbackID = bot.InputButton, "need:buy", 1, "console-2"
		}), console.Deliver},
		{"3", with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "3" }), console.Deliver},
		{"0", with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "0" }), console.Deliver},
		{`\1`, with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "1" }), console.Deliver},
		{"I want to buy", with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "I want to buy" }), console.Deliver},
		{"Привет 👋", with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "Привет 👋" }), console.Deliver},
		{"/start s-google__c-spring", with(func(u *bot.Update) {
			u.Kind, u.Command, u.Text = bot.InputCommand, "start", "s-google__c-spring"
		}), console.Deliver},
		{"/Start@VoronkaBot  x ", with(func(u *bot.Update) { u.Kind, u.Command, u.Text = bot.InputCommand, "start", "x" }), console.Deliver},
		{"/help", with(func(u *bot.Update) { u.Kind, u.Command = bot.InputCommand, "help" }), console.Deliver},
		{"/1.5", with(func(u *bot.Update) { u.Kind, u.Text = bot.InputText, "/1.5" }), console.Deliver},
		{"/contact +7 916 123-45-67", with(func(u *bot.Update) {
			u.Kind = bot.InputContact
			u.Contact = &bot.SharedContact{Phone: "+7 916 123-45-67", UserID: user, FirstName: "Anna"}
		}), console.Deliver},
		{"", base, console.Skip},
		{"   ", base, console.Skip},
		{`\`, with(func(u *bot.Update) { u.Kind = bot.InputText }), console.Skip},
		{"/quit", base, console.Quit},
		{"/exit", base, console.Quit},
	}
	for _, tt := range tests {
		got, action := c.Parse(tt.line)
		require.Equal(t, tt.action, action, "line %q", tt.line)
		if action == console.Deliver {
			require.Equal(t, tt.want, got, "line %q", tt.line)
		}
	}

	out.Reset()
	_, action := c.Parse("/contact")
	require.Equal(t, console.Skip, action, "a contact needs a number")
	require.Equal(t, "(type /contact and your phone number, e.g. /contact +79161234567)\n", out.String())

	// A message without buttons takes the numbers away.
	send(t, c, bot.Message{Text: "Your budget?"})
	u, _ := c.Parse("1")
	require.Equal(t, bot.InputText, u.Kind)
	require.Equal(t, "1", u.Text)
}

func TestAnswerCallback(t *testing.T) {
	t.Parallel()
	c, out := setup(t, console.Options{})
	require.NoError(t, c.AnswerCallback(context.Background(), bot.CallbackAnswer{CallbackID: "console-1"}))
	require.Empty(t, out.String(), "no notice, nothing shown")
	require.NoError(t, c.AnswerCallback(context.Background(), bot.CallbackAnswer{CallbackID: "console-1", Text: "Already answered."}))
	require.Equal(t, "bot (notice): Already answered.\n", out.String())
}

// echoBot answers every update with what it got, and asks with a button.
type echoBot struct {
	c   *console.Console
	got []bot.Update
	err error
}

func (b *echoBot) Handle(ctx context.Context, u bot.Update) error {
	b.got = append(b.got, u)
	if b.err != nil {
		return b.err
	}
	_, err := b.c.Send(ctx, bot.Message{ChatID: u.ChatID, Text: "got " + string(u.Kind) + " " + u.Text + u.Button,
		Buttons: [][]bot.Button{row(bot.Button{Text: "Yes", Data: "q:yes"})}})
	return err
}

func TestRunScripted(t *testing.T) {
	t.Parallel()
	c, out := setup(t, console.Options{Echo: true})
	b := &echoBot{c: c}
	c.Echo("/start")
	require.True(t, c.Say(context.Background(), b, "/start"))
	in := strings.NewReader("hello\n\n1\r\n/quit\nnever read\n")
	require.NoError(t, c.Run(context.Background(), in, b, nil))
	require.Len(t, b.got, 3, "the empty line is skipped and /quit stops")
	require.Equal(t, "you: /start\n"+
		"bot: got command \n     [1] Yes\n"+
		"you: hello\n"+
		"bot: got text hello\n     [1] Yes\n"+
		"you: \n"+
		"you: 1\n"+
		"bot: got button q:yes\n     [1] Yes\n"+
		"you: /quit\n", out.String())
}

func TestRunStops(t *testing.T) {
	t.Parallel()
	t.Run("when after says so", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, console.Options{Echo: true})
		b := &echoBot{c: c}
		calls := 0
		after := func(context.Context) (bool, error) { calls++; return calls == 2, nil }
		require.NoError(t, c.Run(context.Background(), strings.NewReader("a\nb\nc\n"), b, after))
		require.Len(t, b.got, 2)
	})
	t.Run("with after's error", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, console.Options{Echo: true})
		boom := errors.New("boom")
		err := c.Run(context.Background(), strings.NewReader("a\nb\n"), &echoBot{c: c}, func(context.Context) (bool, error) { return false, boom })
		require.ErrorIs(t, err, boom)
	})
	t.Run("at the end of input, without a newline", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, console.Options{Echo: true})
		b := &echoBot{c: c}
		require.NoError(t, c.Run(context.Background(), strings.NewReader("last"), b, nil))
		require.Len(t, b.got, 1)
		require.Equal(t, "last", b.got[0].Text)
	})
	t.Run("on a read error", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, console.Options{Echo: true})
		err := c.Run(context.Background(), iotest.ErrReader(errors.New("disk gone")), &echoBot{c: c}, nil)
		require.ErrorContains(t, err, "disk gone")
	})
	t.Run("when the context ends while waiting for a line", func(t *testing.T) {
		t.Parallel()
		c, out := setup(t, console.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		blocked := blockingReader{}
		require.NoError(t, c.Run(ctx, blocked, &echoBot{c: c}, nil))
		require.Equal(t, "you: ", out.String(), "the prompt of an interactive session")
	})
	t.Run("a handler error is shown and the session goes on", func(t *testing.T) {
		t.Parallel()
		c, out := setup(t, console.Options{Echo: true})
		b := &echoBot{c: c, err: errors.New("database is down")}
		require.NoError(t, c.Run(context.Background(), strings.NewReader("a\nb\n"), b, nil))
		require.Len(t, b.got, 2)
		require.Contains(t, out.String(), "(the bot could not handle that: database is down)\n")
	})
}

// blockingReader never returns, like a person who does not type.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }
