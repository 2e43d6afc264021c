package telegram

import (
	"context"
	"errors"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
)

// Menu is one audience's command menu: every private chat (ChatID 0, the
// customers) or one chat (a team member's private chat, the sales group),
// in one language ("" for any other).
type Menu struct {
	ChatID   int64
	Language string
	Commands []bot.MenuCommand
}

// SetMenus sets each menu with setMyCommands and its scope. Telegram
// shows the narrowest: a team member's chat scope wins over the
// customers' all-private-chats one, so a member never sees the customers'
// menu. A member who has not started the bot yet has no chat to scope
// ("chat not found"); the others are still set and the error names them.
func SetMenus(ctx context.Context, api *API, menus []Menu) error {
	var errs []error
	for _, m := range menus {
		scope := tgbotapi.NewBotCommandScopeAllPrivateChats()
		if m.ChatID != 0 {
			scope = tgbotapi.NewBotCommandScopeChat(m.ChatID)
		}
		cmds := make([]tgbotapi.BotCommand, len(m.Commands))
		for i, c := range m.Commands {
			cmds[i] = tgbotapi.BotCommand{Command: c.Command, Description: c.Description}
		}
		cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(scope, m.Language, cmds...)
		if _, err := withContext(ctx, api.bot).Request(cfg); err != nil {
			errs = append(errs, fmt.Errorf("chat %d, language %q: %w", m.ChatID, m.Language, apiOrScrubbed(err, api.bot.Token)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telegram: set menus: %w", err)
	}
	return nil
}
