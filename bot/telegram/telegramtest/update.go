package telegramtest

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Text is an update with a message typed by userID in chatID. Text starting
// with "/" gets the bot_command entity Telegram would add, so "/start
// s-google" arrives as a command.
func Text(chatID, userID int64, text string) tgbotapi.Update {
	m := message(chatID, userID)
	m.Text = text
	if cmd, ok := commandToken(text); ok {
		m.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(cmd)))}}
	}
	return tgbotapi.Update{Message: m}
}

// Callback is an update for userID pressing the inline button with data
// under message msgID in chatID. Each call gets a fresh callback id.
func Callback(chatID, userID int64, msgID int, data string) tgbotapi.Update {
	return tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID:   callbackID(),
		From: user(userID),
		Message: &tgbotapi.Message{
			MessageID: msgID,
			From:      &tgbotapi.User{ID: botID, IsBot: true, FirstName: "Voronka Test", UserName: botUsername},
			Date:      int(time.Now().Unix()),
			Chat:      chat(chatID),
		},
		ChatInstance: "test-" + strconv.FormatInt(chatID, 10),
		Data:         data,
	}}
}

// Contact is an update with a contact card shared by userID in chatID; the
// card belongs to contactUserID (userID itself when the customer pressed the
// share-contact button, 0 for a card from the address book).
func Contact(chatID, userID, contactUserID int64, phone string) tgbotapi.Update {
	m := message(chatID, userID)
	m.Contact = &tgbotapi.Contact{PhoneNumber: phone, FirstName: m.From.FirstName, UserID: contactUserID}
	return tgbotapi.Update{Message: m}
}

// Sticker is an update with a sticker: input a flow cannot read.
func Sticker(chatID, userID int64) tgbotapi.Update {
	m := message(chatID, userID)
	m.Sticker = &tgbotapi.Sticker{FileID: "sticker-file", FileUniqueID: "sticker", Width: 512, Height: 512, Emoji: "👍"}
	return tgbotapi.Update{Message: m}
}

// Membership is Telegram's my_chat_member update for userID changing the
// bot's status in their private chat: "kicked" when they block the bot,
// "member" when they unblock it.
func Membership(chatID, userID int64, status string) tgbotapi.Update {
	old := "member"
	if status == "member" {
		old = "kicked"
	}
	bot := tgbotapi.User{ID: botID, IsBot: true, FirstName: "Voronka Test", UserName: botUsername}
	return tgbotapi.Update{MyChatMember: &tgbotapi.ChatMemberUpdated{
		Chat:          *chat(chatID),
		From:          *user(userID),
		Date:          int(time.Now().Unix()),
		OldChatMember: tgbotapi.ChatMember{User: &bot, Status: old},
		NewChatMember: tgbotapi.ChatMember{User: &bot, Status: status},
	}}
}

// WithLang returns u with the sender's client language set, e.g. "en" or
// "ru", as Telegram reports it in language_code.
func WithLang(u tgbotapi.Update, lang string) tgbotapi.Update {
	return withFrom(u, func(f *tgbotapi.User) { f.LanguageCode = lang })
}

// WithName returns u with the sender's first name, last name and username.
func WithName(u tgbotapi.Update, first, last, username string) tgbotapi.Update {
	return withFrom(u, func(f *tgbotapi.User) { f.FirstName, f.LastName, f.UserName = first, last, username })
}

// withFrom edits a copy of u's sender, so updates built once can be varied
// without touching each other.
func withFrom(u tgbotapi.Update, edit func(*tgbotapi.User)) tgbotapi.Update {
	switch {
	case u.Message != nil && u.Message.From != nil:
		m, f := *u.Message, *u.Message.From
		edit(&f)
		m.From, u.Message = &f, &m
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		q, f := *u.CallbackQuery, *u.CallbackQuery.From
		edit(&f)
		q.From, u.CallbackQuery = &f, &q
	}
	return u
}

func message(chatID, userID int64) *tgbotapi.Message {
	return &tgbotapi.Message{
		From: user(userID),
		Date: int(time.Now().Unix()),
		Chat: chat(chatID),
	}
}

func user(id int64) *tgbotapi.User {
	return &tgbotapi.User{ID: id, FirstName: "Test"}
}

func chat(id int64) *tgbotapi.Chat {
	c := &tgbotapi.Chat{ID: id, Type: chatType(id)}
	if id < 0 {
		c.Title = "Test group"
	}
	return c
}

// commandToken is the leading "/name[@bot]" of text, if it is a command as
// Telegram sees one.
func commandToken(text string) (string, bool) {
	if !strings.HasPrefix(text, "/") {
		return "", false
	}
	end := 1
	for end < len(text) && (isNameByte(text[end]) || text[end] == '@') {
		end++
	}
	if end == 1 {
		return "", false
	}
	return text[:end], true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func callbackID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
