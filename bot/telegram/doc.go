// Package telegram connects Voronka to the Telegram Bot API: the webhook
// handler (NewWebhook) and the long-poll runner (Poller) hand every update
// to the Router, the one way in, which sends it by chat and sender to the
// sales group's handler (raw), the team or the customers' dispatcher (as
// a bot.Update); the Sender renders bot.Message as Bot API calls within
// Telegram's rate limits, and lets one call of a reply ride on the
// webhook's 200 when it is given the request's WebhookReply.
//
// Delivery rules, in both modes: an update is acknowledged to Telegram (a
// 200 to the webhook, a higher getUpdates offset) only after the handler
// returned nil, that is after its effects are durable; anything else makes
// Telegram deliver it again, and the dispatcher de-duplicates by update id.
//
// Sending rules: every call first reserves a token from a bot-wide bucket
// and (for messages) the chat's bucket in a bot.Limiter shared by all
// replicas; a 429 is waited out for its retry_after, a 5xx or network
// failure is retried with exponential backoff, and any other refusal is
// returned at once as an *APIError (403: the customer blocked the bot).
//
// It is built on go-telegram-bot-api v5.5.1, whose calls take no context and
// whose default HTTP client has no timeout; this package supplies both (see
// NewAPI) and never lets the bot token reach an error or a log line.
package telegram
