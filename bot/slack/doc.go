// Package slack puts leads in front of the sales team in a Slack channel
// and takes the team's button presses back.
//
// Notifier implements crm.SalesNotifier: a lead card in Block Kit (built by
// the pure functions in blocks.go), updated in place as the lead moves,
// escalations and reminders in the card's thread, and a digest of warm
// leads. Every Web API call first reserves a token from a per-channel
// bucket in a bot.Limiter shared by all replicas (Slack allows about one
// message a second per channel); a 429 is waited out for its Retry-After, a
// 5xx or network failure is retried with exponential backoff, and any other
// refusal is returned at once.
//
// Interactions is the HTTP endpoint Slack posts button presses and modal
// submissions to. It verifies the signing secret within a 5-minute window
// before reading anything, handles a repeated delivery once, and answers
// within Slack's 3 seconds: the domain action (crm.SalesDesk.Act) is a short
// transaction and card updates are queued jobs done elsewhere.
//
// The package is built on slack-go (imported as slackapi, since this package
// is called slack too); slackfake is a Web API server for tests.
package slack
