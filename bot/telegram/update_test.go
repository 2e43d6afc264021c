package telegram_test

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

func withID(u tgbotapi.Update, id int) tgbotapi.Update {
	u.UpdateID = id
	return u
}

func TestToUpdate(t *testing.T) {
	t.Parallel()
	customer := bot.User{ID: 7, FirstName: "Test"}
	english := bot.User{ID: 7, FirstName: "Test", Language: "en"}

	edited := telegramtest.Text(7, 7, "changed my mind")
	edited.EditedMessage, edited.Message = edited.Message, nil

	channelPost := telegramtest.Text(-1001, 7, "news")
	channelPost.ChannelPost, channelPost.Message = channelPost.Message, nil

	fromBot := telegramtest.Text(-1001, 99, "beep")
	fromBot.Message.From.IsBot = true

	anonymous := telegramtest.Text(-1001, 7, "from the group itself")
	anonymous.Message.From = nil

	inlineCallback := telegramtest.Callback(7, 7, 5, "x")
	inlineCallback.CallbackQuery.Message = nil
	inlineCallback.CallbackQuery.InlineMessageID = "inline-1"

	photo := telegramtest.Text(7, 7, "")
	photo.Message.Photo = []tgbotapi.PhotoSize{{FileID: "p"}}
	photo.Message.Caption = "my order"

	// Telegram marks "/foo" of "/foo-bar" as the command.
	dashed := telegramtest.Text(7, 7, "/foo-bar baz")
	dashed.Message.Entities[0].Length = 4

	linkFirst := telegramtest.Text(7, 7, "/not/a/command")
	linkFirst.Message.Entities = []tgbotapi.MessageEntity{{Type: "url", Offset: 0, Length: 14}}

	// An entity longer than the text must not panic (the library's
	// Command() would slice out of range).
	badEntity := telegramtest.Text(7, 7, "/go")
	badEntity.Message.Entities[0].Length = 40

	tests := []struct {
		name string
		in   tgbotapi.Update
		want bot.Update
		ok   bool
	}{
		{
			name: "start with payload",
			in:   withID(telegramtest.Text(7, 7, "/start s-google__m-cpc"), 10),
			want: bot.Update{ID: 10, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "start", Text: "s-google__m-cpc"},
			ok:   true,
		},
		{
			name: "start without payload",
			in:   withID(telegramtest.Text(7, 7, "/start"), 11),
			want: bot.Update{ID: 11, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "start"},
			ok:   true,
		},
		{
			name: "command addressed to the bot",
			in:   withID(telegramtest.Text(7, 7, "/help@MyBot"), 12),
			want: bot.Update{ID: 12, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "help"},
			ok:   true,
		},
		{
			name: "command with bot name and args, capitalised",
			in:   withID(telegramtest.Text(-1001, 7, "/Stats@bot  7d "), 13),
			want: bot.Update{ID: 13, ChatID: -1001, User: customer, Kind: bot.InputCommand, Command: "stats", Text: "7d"},
			ok:   true,
		},
		{
			name: "command without entities, as hand-built updates come",
			in: func() tgbotapi.Update {
				u := withID(telegramtest.Text(7, 7, "/lead 42"), 14)
				u.Message.Entities = nil
				return u
			}(),
			want: bot.Update{ID: 14, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "lead", Text: "42"},
			ok:   true,
		},
		{
			name: "command name Telegram cuts at a dash",
			in:   withID(dashed, 15),
			want: bot.Update{ID: 15, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "foo", Text: "-bar baz"},
			ok:   true,
		},
		{
			name: "slash text that is not a command entity",
			in:   withID(linkFirst, 16),
			want: bot.Update{ID: 16, ChatID: 7, Private: true, User: customer, Kind: bot.InputText, Text: "/not/a/command"},
			ok:   true,
		},
		{
			name: "entity longer than the text",
			in:   withID(badEntity, 17),
			want: bot.Update{ID: 17, ChatID: 7, Private: true, User: customer, Kind: bot.InputCommand, Command: "go"},
			ok:   true,
		},
		{
			name: "lone slash",
			in:   withID(telegramtest.Text(7, 7, "/"), 18),
			want: bot.Update{ID: 18, ChatID: 7, Private: true, User: customer, Kind: bot.InputText, Text: "/"},
			ok:   true,
		},
		{
			name: "text in another script with emoji, language kept",
			in:   withID(telegramtest.WithLang(telegramtest.Text(7, 7, "Хочу купить 🚀 سلام"), "en"), 20),
			want: bot.Update{ID: 20, ChatID: 7, Private: true, User: english, Kind: bot.InputText, Text: "Хочу купить 🚀 سلام"},
			ok:   true,
		},
		{
			name: "name and username",
			in:   withID(telegramtest.WithName(telegramtest.Text(7, 7, "hi"), "Анна", "Ли", "anna"), 21),
			want: bot.Update{ID: 21, ChatID: 7, Private: true, User: bot.User{ID: 7, FirstName: "Анна", LastName: "Ли", Username: "anna"}, Kind: bot.InputText, Text: "hi"},
			ok:   true,
		},
		{
			name: "callback",
			in:   withID(telegramtest.WithLang(telegramtest.Callback(7, 7, 55, "need:buy"), "en"), 30),
			ok:   true,
		},
		{
			name: "callback in a group",
			in:   withID(telegramtest.Callback(-1001, 8, 56, "claim:42"), 31),
			ok:   true,
		},
		{
			name: "own contact",
			in:   withID(telegramtest.Contact(7, 7, 7, "+79990001122"), 40),
			want: bot.Update{ID: 40, ChatID: 7, Private: true, User: customer, Kind: bot.InputContact,
				Contact: &bot.SharedContact{Phone: "+79990001122", UserID: 7, FirstName: "Test"}},
			ok: true,
		},
		{
			name: "someone else's contact card",
			in:   withID(telegramtest.Contact(7, 7, 0, "+15550001122"), 41),
			want: bot.Update{ID: 41, ChatID: 7, Private: true, User: customer, Kind: bot.InputContact,
				Contact: &bot.SharedContact{Phone: "+15550001122", FirstName: "Test"}},
			ok: true,
		},
		{
			name: "sticker",
			in:   withID(telegramtest.Sticker(7, 7), 50),
			want: bot.Update{ID: 50, ChatID: 7, Private: true, User: customer, Kind: bot.InputOther},
			ok:   true,
		},
		{
			name: "photo with caption",
			in:   withID(photo, 51),
			want: bot.Update{ID: 51, ChatID: 7, Private: true, User: customer, Kind: bot.InputOther, Text: "my order",
				Media: &bot.Media{Kind: "photo", FileID: "p"}},
			ok: true,
		},
		{name: "edited message", in: withID(edited, 60)},
		{name: "channel post", in: withID(channelPost, 61)},
		{name: "message from a bot", in: withID(fromBot, 62)},
		{name: "message without a sender", in: withID(anonymous, 63)},
		{name: "callback on an inline-mode message", in: withID(inlineCallback, 64)},
		{name: "empty update", in: tgbotapi.Update{UpdateID: 65}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := telegram.ToUpdate(tt.in)
			require.Equal(t, tt.ok, ok)
			if !tt.ok {
				require.Zero(t, got)
				return
			}
			want := tt.want
			if q := tt.in.CallbackQuery; q != nil {
				want = bot.Update{
					ID: int64(tt.in.UpdateID), ChatID: q.Message.Chat.ID, Private: q.Message.Chat.ID > 0,
					User: bot.User{ID: q.From.ID, FirstName: "Test", Language: q.From.LanguageCode},
					Kind: bot.InputButton, Button: q.Data, ButtonMessageID: q.Message.MessageID, CallbackID: q.ID,
				}
				require.NotEmpty(t, got.CallbackID)
			}
			require.Equal(t, want, got)
		})
	}
}

// TestToUpdateDropsNUL: nothing a person typed or named carries U+0000
// past the adapter, since PostgreSQL's text cannot store it.
func TestToUpdateDropsNUL(t *testing.T) {
	t.Parallel()
	in := telegramtest.WithName(telegramtest.Text(7, 7, "/start s-a\x00b"), "An\x00na", "B\x00", "u\x00")
	got, ok := telegram.ToUpdate(withID(in, 1))
	require.True(t, ok)
	require.Equal(t, bot.Update{ID: 1, ChatID: 7, Private: true, Kind: bot.InputCommand, Command: "start", Text: "s-ab",
		User: bot.User{ID: 7, FirstName: "Anna", LastName: "B", Username: "u"}}, got)

	got, ok = telegram.ToUpdate(withID(telegramtest.Text(7, 7, "hi\x00 there"), 2))
	require.True(t, ok)
	require.Equal(t, "hi there", got.Text)

	shared := telegramtest.Contact(7, 7, 7, "+7\x00916")
	shared.Message.Contact.FirstName = "\x00"
	got, ok = telegram.ToUpdate(withID(shared, 3))
	require.True(t, ok)
	require.Equal(t, &bot.SharedContact{Phone: "+7916", UserID: 7}, got.Contact)

	got, ok = telegram.ToUpdate(withID(telegramtest.Callback(7, 7, 5, "need:\x00buy"), 4))
	require.True(t, ok)
	require.Equal(t, "need:buy", got.Button)
}

// TestToUpdateMembership: in a private chat my_chat_member "kicked" is
// the customer blocking the bot and "member" unblocking it; a group's
// membership changes are not a customer's.
func TestToUpdateMembership(t *testing.T) {
	t.Parallel()
	got, ok := telegram.ToUpdate(withID(telegramtest.Membership(7, 7, "kicked"), 9))
	require.True(t, ok)
	require.Equal(t, bot.Update{ID: 9, ChatID: 7, Private: true, Kind: bot.InputBlocked, User: bot.User{ID: 7, FirstName: "Test"}}, got)
	got, ok = telegram.ToUpdate(withID(telegramtest.Membership(7, 7, "member"), 10))
	require.True(t, ok)
	require.Equal(t, bot.InputUnblocked, got.Kind)

	_, ok = telegram.ToUpdate(withID(telegramtest.Membership(-1001, 7, "kicked"), 11))
	require.False(t, ok, "the bot removed from a group")
	_, ok = telegram.ToUpdate(withID(telegramtest.Membership(7, 7, "administrator"), 12))
	require.False(t, ok)
}
