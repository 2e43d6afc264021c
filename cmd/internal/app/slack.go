package app

import (
	"net/http"
	"time"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/crm"
)

// slackNotifier is the Slack sales channel, nil when SLACK_BOT_TOKEN is
// not set. SLACK_API_URL points the real slack-go client elsewhere (tests).
func (a *App) slackNotifier(tz *time.Location) (crm.SalesNotifier, error) {
	if a.cfg.SlackBotToken == "" {
		return nil, nil
	}
	a.slack = slack.NewClient(a.cfg.SlackBotToken, a.cfg.SlackAPIURL, a.httpClient)
	return slack.NewNotifier(a.slack, a.cfg.SlackSalesChannel, a.redis, slack.Options{
		PerChannelPerSecond: a.cfg.Slack.ChannelPerSecond,
		ChannelBurst:        a.cfg.Slack.ChannelBurst,
		Sleep:               a.sleep,
		Logger:              a.log,
		TimeZone:            tz,
		Language:            a.cfg.Language,
	}), nil
}

// slackRoutes mounts /slack/interactions when Slack is configured: signed
// button presses and modal submissions from the sales channel.
func (a *App) slackRoutes(mux *http.ServeMux) {
	if a.slack == nil {
		return
	}
	mux.Handle("POST /slack/interactions", slack.NewInteractions(a.sales, a.slack, a.cfg.SlackSigningSecret, a.redis,
		slack.InteractionOptions{Now: a.clock.Now, Logger: a.log, Callbacks: a.desk, Language: a.cfg.Language}))
	mux.Handle("POST /slack/events", slack.NewEvents(a.sales, a.convs, a.slack, a.cfg.SlackSigningSecret,
		slack.EventOptions{Now: a.clock.Now, Logger: a.log}))
}
