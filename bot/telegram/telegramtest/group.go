package telegramtest

import (
	"encoding/json"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Press is userID pressing the inline button with data under the bot's
// message msgID in chatID, as Telegram delivers it: the callback carries the
// message as it reads now, its text and inline keyboard included. A message
// the server never sent comes without text, like Callback.
func (s *Server) Press(chatID, userID int64, msgID int, data string) tgbotapi.Update {
	u := Callback(chatID, userID, msgID, data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if was, ok := s.messages[messageKey{chatID, msgID}]; ok {
		u.CallbackQuery.Message.Text = was.text
		u.CallbackQuery.Message.ReplyMarkup = decodeInline(was.markup)
	}
	return u
}

// Reply is userID answering the bot's message msgID in chatID with text,
// as Telegram delivers a reply: the update carries the replied-to message.
func (s *Server) Reply(chatID, userID int64, msgID int, text string) tgbotapi.Update {
	u := Text(chatID, userID, text)
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.messages[messageKey{chatID, msgID}]
	replied := s.message(chatID, msgID, was.text)
	replied.ReplyMarkup = decodeInline(was.markup)
	u.Message.ReplyToMessage = &replied
	// A person's message has an id of its own, as in Telegram; these
	// count from far above the bot's so neither meets the other.
	s.nextUserMessageID++
	u.Message.MessageID = 1_000_000 + s.nextUserMessageID
	return u
}

// Message is what the bot's message msgID in chatID says now, after any
// edits: its text and its inline keyboard as JSON ("" without one).
func (s *Server) Message(chatID int64, msgID int) (text, markup string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was, ok := s.messages[messageKey{chatID, msgID}]
	return was.text, was.markup, ok
}

func decodeInline(markup string) *tgbotapi.InlineKeyboardMarkup {
	if markup == "" {
		return nil
	}
	var m tgbotapi.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		return nil
	}
	return &m
}

// LastMessageID is the highest message id the server knows in chatID: the
// newest message the bot sent there, unless a test edited a made-up id
// above it. 0 when there is none.
func (s *Server) LastMessageID(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := 0
	for k := range s.messages {
		if k.chatID == chatID {
			last = max(last, k.id)
		}
	}
	return last
}

// InTopic is userID writing text in the forum topic threadID of chatID,
// not replying to anything: Telegram delivers it as a reply to the
// topic's creation message, whose id is the thread id (the bot's, for a
// topic the bot created).
func (s *Server) InTopic(chatID, userID int64, threadID int, text string) tgbotapi.Update {
	return s.Reply(chatID, userID, threadID, text)
}

// Edit is the edited_message update Telegram sends when the author of
// the message in u changes its text.
func Edit(u tgbotapi.Update, text string) tgbotapi.Update {
	m := *u.Message
	m.Text = text
	m.EditDate = m.Date + 60
	return tgbotapi.Update{EditedMessage: &m}
}
