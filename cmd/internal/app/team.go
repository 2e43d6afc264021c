package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/chart"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

// wireTeam builds the managers' reports: crm.Stats on PostgreSQL, the
// channel-neutral bot.Team that the router gives a team member's
// commands to (a.teamDesk, see newRouter), and the daily digest's
// schedule. It runs after wireSales,
// whose synced team says who is a manager.
//
// Telegram replies need a sender. The customers' sender is local to
// NewApp, so this one is a second Sender on the same Bot API and the same
// Redis limiter: its buckets are named after the bot, so both draw from
// one budget and Telegram's limits hold across them. Without a Bot API
// connection (`voronka chat`) there is no one to answer and the router
// sends no command to the team.
func (a *App) wireTeam(ctx context.Context) error {
	if a.api == nil || a.sales == nil {
		return nil
	}
	tz, _ := time.LoadLocation(a.cfg.TimeZone) // validated
	a.stats = crm.NewStats(postgres.NewStatsStore(a.db), postgres.NewSalesStore(a.db),
		bot.Labels{Flows: a.flows, Language: a.cfg.Language}, a.sales.Team(), a.clock, tz)
	a.stats.SetLearning(a.learning)
	a.stats.ShowConversations(postgres.NewConversationStore(a.db))
	a.stats.SetExperiments(postgres.NewStatsStore(a.db), bot.FlowExperiments(a.flows))
	sender := countingSender{telegram.NewSender(a.api, a.redis, telegram.SenderOptions{
		GlobalPerSecond: a.cfg.Telegram.GlobalPerSecond,
		ChatPerSecond:   a.cfg.Telegram.ChatPerSecond,
		ChatBurst:       a.cfg.Telegram.ChatBurst,
		GroupPerMinute:  a.cfg.Telegram.GroupPerMinute,
		Sleep:           a.sleep,
		Logger:          a.log,
	}), a.metrics}
	var post func(context.Context, bot.Message) error
	if a.slack != nil && a.cfg.SlackSalesChannel != "" {
		post = slack.PostTeam(a.slack, a.cfg.SlackSalesChannel)
	}
	staff, err := bot.NewTeam(bot.TeamConfig{
		Stats:     a.stats,
		Campaigns: a.campaigns,
		Desk:      a.desk,
		OnStart:   a.teamMenu,
		Team:      a.sales,
		Sender:    sender,
		Charts:    chart.Charts{},
		Logger:    a.log,
		Post:      post,
		Flows:     a.flows,
		Language:  a.cfg.Language,
	})
	if err != nil {
		return err
	}
	a.teamDesk = staff
	if spec := a.cfg.Stats.DailyDigest; spec != "" {
		err := a.schedule.Add(ctx, "stats_digest", spec, func(ctx context.Context, now time.Time) error {
			return a.stats.Digest(ctx, now, a.teamDesk)
		})
		if err != nil {
			return fmt.Errorf("config: stats.daily_digest: %w", err)
		}
	}
	return nil
}

// teamRoutes mounts /slack/commands when Slack is configured: the signed
// /voronka slash command.
func (a *App) teamRoutes(mux *http.ServeMux) {
	if a.slack == nil || a.teamDesk == nil {
		return
	}
	mux.Handle("POST /slack/commands", slack.NewCommands(a.teamDesk, a.slack, a.cfg.SlackSigningSecret,
		slack.CommandOptions{Now: a.clock.Now, Logger: a.log, Once: a.redis, TimeZone: a.teamTZ(), Language: a.cfg.Language}))
}

// teamTZ is the team's time zone (the config's timezone, validated).
func (a *App) teamTZ() *time.Location {
	tz, _ := time.LoadLocation(a.cfg.TimeZone)
	return tz
}

// Stats is the managers' reports (nil without a Bot API connection).
func (a *App) Stats() *crm.Stats { return a.stats }

// Sales is the sales desk the App wired (the bench drives it directly).
func (a *App) Sales() *crm.Sales { return a.sales }

// Engagement is the after-sale engagement the App wired.
func (a *App) Engagement() *crm.Engagement { return a.engagement }
