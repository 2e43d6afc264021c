package telegram

import (
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
)

// allowedUpdates are the update kinds Voronka asks Telegram for. ToUpdate
// ignores every other kind anyway; asking for less spares the round trips.
// my_chat_member says at once that a customer blocked the bot (or came
// back), rather than at the next message's 403; edited_message carries a
// team member's edit of a reply in the sales group to the customer
// (customers' edits are ignored, see ToUpdate).
func allowedUpdates() []string {
	return []string{"message", "edited_message", "callback_query", "my_chat_member"}
}

// ToUpdate converts a Telegram update into the channel-neutral bot.Update.
// It returns false for updates Voronka does not act on: edited messages and
// channel posts (a customer's answer is what they sent first), messages
// without a person behind them (anonymous group admins, other bots), inline
// queries and the rest, and callbacks on inline-mode messages (Voronka sends
// none, and without a chat there is nowhere to answer).
//
// Commands are recognised as Telegram marks them (a bot_command entity at
// offset 0) and, for hand-built updates without entities, by a leading
// slash. "/help@SomeBot args" becomes Command "help", Text "args"; the bot
// name is dropped without checking it, which in a group means a command
// addressed to another bot is taken as ours too.
//
// Every string a person typed or named passes through bot.StorableText:
// PostgreSQL's text cannot hold U+0000 (which JSON's "\u0000" decodes to)
// or invalid UTF-8, and a contact whose first name it refuses would fail
// every update of theirs for good.
func ToUpdate(u tgbotapi.Update) (bot.Update, bool) {
	var (
		out bot.Update
		ok  bool
	)
	switch {
	case u.Message != nil:
		out, ok = fromMessage(int64(u.UpdateID), u.Message)
	case u.CallbackQuery != nil:
		out, ok = fromCallback(int64(u.UpdateID), u.CallbackQuery)
	case u.MyChatMember != nil:
		out, ok = fromMembership(int64(u.UpdateID), u.MyChatMember)
	}
	if !ok {
		return bot.Update{}, false
	}
	return storable(out), true
}

// storable applies bot.StorableText to u's strings.
func storable(u bot.Update) bot.Update {
	clean := bot.StorableText
	u.User.FirstName, u.User.LastName = clean(u.User.FirstName), clean(u.User.LastName)
	u.User.Username, u.User.Language = clean(u.User.Username), clean(u.User.Language)
	u.Text, u.Command, u.Button = clean(u.Text), clean(u.Command), clean(u.Button)
	if c := u.Contact; c != nil {
		u.Contact = &bot.SharedContact{Phone: clean(c.Phone), UserID: c.UserID, FirstName: clean(c.FirstName), LastName: clean(c.LastName)}
	}
	return u
}

func fromMessage(id int64, m *tgbotapi.Message) (bot.Update, bool) {
	if m.Chat == nil || m.From == nil || m.From.IsBot {
		return bot.Update{}, false
	}
	out := bot.Update{
		ID:      id,
		ChatID:  m.Chat.ID,
		Private: m.Chat.Type == "private",
		User:    toUser(m.From),
	}
	switch {
	case m.Contact != nil:
		out.Kind = bot.InputContact
		out.Contact = &bot.SharedContact{
			Phone:     m.Contact.PhoneNumber,
			UserID:    m.Contact.UserID,
			FirstName: m.Contact.FirstName,
			LastName:  m.Contact.LastName,
		}
	case m.Text != "":
		if name, args, ok := parseCommand(m); ok {
			out.Kind, out.Command, out.Text = bot.InputCommand, name, args
		} else {
			out.Kind, out.Text = bot.InputText, m.Text
		}
	default:
		// A sticker, a photo, a voice note, a service message. The caption,
		// if any, travels along so a flow can still read it; a photo,
		// document, voice note or location goes to the team as it is.
		out.Kind, out.Text = bot.InputOther, m.Caption
		out.Media = mediaOf(m)
	}
	out.MessageID = m.MessageID
	return out, true
}

// mediaOf reads what a message carries for the team, nil for anything
// else (a sticker, a service message). Of a photo's sizes the largest is
// kept.
func mediaOf(m *tgbotapi.Message) *bot.Media {
	switch {
	case len(m.Photo) > 0:
		return &bot.Media{Kind: "photo", FileID: m.Photo[len(m.Photo)-1].FileID}
	case m.Document != nil:
		return &bot.Media{Kind: "document", FileID: m.Document.FileID, Name: bot.StorableText(m.Document.FileName)}
	case m.Voice != nil:
		return &bot.Media{Kind: "voice", FileID: m.Voice.FileID}
	case m.Location != nil:
		return &bot.Media{Kind: "location", Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	}
	return nil
}

func fromCallback(id int64, q *tgbotapi.CallbackQuery) (bot.Update, bool) {
	if q.From == nil || q.Message == nil || q.Message.Chat == nil {
		return bot.Update{}, false
	}
	return bot.Update{
		ID:              id,
		ChatID:          q.Message.Chat.ID,
		Private:         q.Message.Chat.Type == "private",
		User:            toUser(q.From),
		Kind:            bot.InputButton,
		Button:          q.Data,
		ButtonMessageID: q.Message.MessageID,
		CallbackID:      q.ID,
	}, true
}

// fromMembership reads the bot's own membership in a private chat, which
// changes only when the customer blocks the bot ("kicked") or unblocks it
// ("member"). Changes in groups (the sales group) are not customers'.
func fromMembership(id int64, m *tgbotapi.ChatMemberUpdated) (bot.Update, bool) {
	if m.Chat.Type != "private" || m.From.ID == 0 || m.From.IsBot {
		return bot.Update{}, false
	}
	out := bot.Update{ID: id, ChatID: m.Chat.ID, Private: true, User: toUser(&m.From)}
	switch m.NewChatMember.Status {
	case "kicked":
		out.Kind = bot.InputBlocked
	case "member":
		out.Kind = bot.InputUnblocked
	default:
		return bot.Update{}, false
	}
	return out, true
}

func toUser(u *tgbotapi.User) bot.User {
	return bot.User{
		ID:        u.ID,
		FirstName: u.FirstName,
		LastName:  u.LastName,
		Username:  u.UserName,
		Language:  u.LanguageCode,
	}
}

// parseCommand reads "/name[@bot] [args]". It parses the text itself rather
// than trusting the entity's length: entity offsets count UTF-16 units, and
// the library's Command() slices the text with them unchecked, which panics
// on a malformed update. The name is lower-cased because Telegram clients
// send "/Start" as typed.
func parseCommand(m *tgbotapi.Message) (name, args string, ok bool) {
	if len(m.Entities) > 0 {
		e := m.Entities[0]
		if e.Type != "bot_command" || e.Offset != 0 {
			return "", "", false
		}
	}
	text, found := strings.CutPrefix(m.Text, "/")
	if !found {
		return "", "", false
	}
	n := commandNameLen(text)
	if n == 0 || n > 32 {
		return "", "", false
	}
	name, rest := strings.ToLower(text[:n]), text[n:]
	if at, ok := strings.CutPrefix(rest, "@"); ok {
		rest = at[commandNameLen(at):]
	}
	return name, strings.TrimSpace(rest), true
}

// commandNameLen is the length of the leading run of the characters Telegram
// allows in command and bot names.
func commandNameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return i
		}
	}
	return len(s)
}
