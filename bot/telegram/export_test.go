package telegram

import tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

// Client is the HTTP client the library calls through, for tests.
func (a *API) Client() tgbotapi.HTTPClient { return a.bot.Client }
