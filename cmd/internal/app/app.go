package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/cmd/internal/schedule"
	"github.com/voronka/voronka/configs"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/redis"
)

// Deps lets tests hand the App what they have already opened (a database
// in their own schema, a Redis under their own prefix, a fake clock). Nil
// fields are opened from the Config.
type Deps struct {
	DB         *postgres.DB
	Redis      *redis.Store
	Clock      crm.Clock
	HTTPClient *http.Client
	// Migrate applies migrations at start.
	Migrate bool
	// Sleep replaces the senders' waits (tests record them instead).
	Sleep func(ctx context.Context, d time.Duration) error
	// Sender, when set, is the customers' channel (the terminal of
	// `voronka chat`): no Bot API is contacted and Run cannot serve.
	Sender bot.Sender
}

// App is one running Voronka: every concrete type is wired here and only
// here. The end-to-end tests build the same App the binary runs.
type App struct {
	cfg        *Config
	log        *slog.Logger
	db         *postgres.DB
	redis      *redis.Store
	closers    []func()
	flows      map[string]*flows.Flow
	api        *telegram.API
	dispatcher *bot.Dispatcher
	metrics    *metrics
	queue      *postgres.Queue
	sales      *crm.Sales
	desk       *crm.Desk // the rep's daily tools and the warm digest
	engagement *crm.Engagement
	convs      *crm.Conversations
	campaigns  *crm.Campaigns
	salesGroup *telegram.SalesGroupHandler
	// salesGroupSender is the customers' sender, which the sales group's
	// handler shares; nil without a sales group.
	salesGroupSender bot.Sender
	schedule         *schedule.Scheduler
	clock            crm.Clock
	slack            *slack.Client
	httpClient       *http.Client
	sleep            func(ctx context.Context, d time.Duration) error
	learning         *crm.Learning // the win model (model.go)
	stats            *crm.Stats    // the managers' reports (staff.go)
	teamDesk         *bot.Team     // their commands in every channel (staff.go); nil when not wired
	// router is the one way in for Telegram updates, webhook and poller
	// alike: the customers' dispatcher, the sales group, the team.
	router *telegram.Router
}

// NewApp opens (or takes) the databases, loads and checks the flows,
// connects to the Bot API (unless deps.Sender replaces it) and wires the
// dispatcher.
func NewApp(ctx context.Context, cfg *Config, logger *slog.Logger, deps Deps) (*App, error) {
	a := &App{cfg: cfg, log: logger, metrics: newMetrics(), httpClient: deps.HTTPClient, sleep: deps.Sleep}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	fl, err := loadFlows(cfg)
	if err != nil {
		return nil, err
	}
	if fl[cfg.DefaultFlow] == nil {
		return nil, fmt.Errorf("config: default_flow: flow %q is not among the loaded flows", cfg.DefaultFlow)
	}
	a.flows = fl

	a.db = deps.DB
	if a.db == nil {
		if a.db, err = openDB(ctx, cfg, logger); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, a.db.Close)
	}
	if deps.Migrate {
		if err := a.db.Migrate(ctx); err != nil {
			return nil, err
		}
	} else if err := checkMigrated(ctx, a.db); err != nil {
		return nil, err
	}
	a.redis = deps.Redis
	if a.redis == nil {
		rdb, err := redis.Open(ctx, cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		a.closers = append(a.closers, func() { rdb.Close() })
		a.redis = redis.New(rdb, cfg.RedisPrefix)
	}

	sender := deps.Sender
	if sender == nil {
		if a.api, err = telegram.NewAPI(cfg.TelegramToken, cfg.TelegramAPIEndpoint, deps.HTTPClient); err != nil {
			return nil, fmt.Errorf("TELEGRAM_TOKEN: %w", err)
		}
		sender = countingSender{telegram.NewSender(a.api, redisLimiter{a.redis}, telegram.SenderOptions{
			GlobalPerSecond:  cfg.Telegram.GlobalPerSecond,
			GlobalBurst:      cfg.Telegram.GlobalBurst,
			ChatPerSecond:    cfg.Telegram.ChatPerSecond,
			ChatBurst:        cfg.Telegram.ChatBurst,
			GroupPerMinute:   cfg.Telegram.GroupPerMinute,
			NoWebhookReplies: !cfg.Telegram.WebhookReplies,
			Sleep:            deps.Sleep,
			Logger:           logger,
		}), a.metrics}
	}
	a.clock = deps.Clock
	if a.clock == nil {
		a.clock = crm.ClockFunc(time.Now)
	}
	if err := a.wireSales(ctx, sender); err != nil {
		return nil, err
	}
	if err := a.wireCampaigns(ctx, sender); err != nil {
		return nil, err
	}
	if err := a.wireTeam(ctx); err != nil {
		return nil, err
	}
	a.salesGroupHandler()
	a.dispatcher, err = bot.NewDispatcher(bot.DispatcherConfig{
		Flows:         fl,
		DefaultFlow:   cfg.DefaultFlow,
		Leads:         postgres.NewLeadStore(a.db),
		Gate:          redisGate{a.redis},
		Sender:        sender,
		Clock:         a.clock,
		Logger:        logger,
		SessionTTL:    cfg.SessionTTL.Duration,
		Lease:         cfg.Updates.Lease.Duration,
		Observe:       a.metrics.observeUpdate,
		Alerts:        true,
		Engagement:    a.engagement,
		Campaigns:     a.campaigns,
		Conversations: a.convs,
		TimeZone:      a.tz(),
		Qualified:     a.metrics.observeLead,
		BotUsername:   botUsername(a.api),
	})
	if err != nil {
		return nil, err
	}
	if a.router, err = a.newRouter(); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// checkMigrated fails when a migration this binary knows is not applied,
// saying how to apply it, rather than letting the first query fail with
// `relation "managers" does not exist`. Migrations the database has and
// this binary does not (a newer replica ran them) are fine.
func checkMigrated(ctx context.Context, db *postgres.DB) error {
	all, err := db.Migrations(ctx)
	if err != nil {
		return err
	}
	var pending []string
	for _, m := range all {
		if m.AppliedAt == nil {
			pending = append(pending, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	switch {
	case len(pending) == 0:
		return nil
	case len(pending) == len(all):
		return errors.New("database: no migrations applied: run `voronka migrate` first, or `voronka serve --migrate`")
	default:
		return fmt.Errorf("database: %d migrations pending (%s): run `voronka migrate` first, or `voronka serve --migrate`",
			len(pending), strings.Join(pending, ", "))
	}
}

// wireSales builds the job queue, the sales desk and its channels, and
// the schedules of its sweeps.
func (a *App) wireSales(ctx context.Context, sender bot.Sender) error {
	cfg := a.cfg
	tz, _ := time.LoadLocation(cfg.TimeZone) // validated
	var notifiers []crm.SalesNotifier
	if cfg.TelegramSalesChatID != 0 && a.api != nil {
		opts := telegram.SalesGroupOptions{TimeZone: tz, Language: cfg.Language, Logger: a.log, Topics: cfg.Telegram.SalesTopics}
		notifiers = append(notifiers, telegram.NewSalesGroup(sender, cfg.TelegramSalesChatID, opts))
	}
	slackNotifier, err := a.slackNotifier(tz)
	if err != nil {
		return err
	}
	if slackNotifier != nil {
		notifiers = append(notifiers, slackNotifier)
	}
	a.sales = crm.NewSales(postgres.NewSalesStore(a.db), crm.SalesPolicy{
		Strategy:      crm.Strategy(cfg.Routing.Strategy),
		ClaimWithin:   cfg.Routing.ClaimWithin.Duration,
		ContactWithin: cfg.Routing.ContactWithin.Duration,
		LostReasons:   cfg.Routing.LostReasons,
		TimeZone:      tz,

		OrderByProbability: cfg.Routing.OrderBy == "probability",
	}, cfg.Managers(), notifiers, bot.CustomerNotices{Flows: a.flows, Sender: sender}, bot.Labels{Flows: a.flows, Language: cfg.Language}, a.clock)
	if err := a.sales.Sync(ctx); err != nil {
		return err
	}
	a.learning = newLearning(a.db, a.flows, cfg, a.clock)
	a.sales.SetWinEstimator(a.learning)
	if cfg.TelegramSalesChatID != 0 {
		// The group answers the team's commands too (wireTeam sets
		// opts.Team before the handler is built in salesGroupHandler).
		a.salesGroupSender = sender
	}
	leads := postgres.NewLeadStore(a.db)
	quiet, _ := crm.ParseQuietHours(cfg.QuietHours.From, cfg.QuietHours.To) // validated
	flowFollowups := map[string]crm.FollowupPolicy{}
	for id, f := range a.flows {
		if f.Followups != nil {
			flowFollowups[id] = crm.FollowupPolicy{NudgeAfter: f.Followups.NudgeAfter, AskAfter: f.Followups.AskAfter, MaxNudges: f.Followups.MaxNudges}
		}
	}
	a.engagement = crm.NewEngagement(postgres.NewEngagementStore(a.db), leads,
		bot.Outreach{Flows: a.flows, DefaultFlow: cfg.DefaultFlow, Leads: leads, Sender: sender}, a.sales,
		crm.EngagementPolicy{
			NPSAfter:    cfg.Surveys.NPSAfter.Duration,
			RepeatAfter: cfg.Surveys.RepeatAfter.Duration,
			Followups: crm.FollowupPolicy{NudgeAfter: cfg.Followups.NudgeAfter.Duration, AskAfter: cfg.Followups.AskAfter.Duration,
				MaxNudges: cfg.Followups.MaxNudges},
			FlowFollowups: flowFollowups,
			ReengageAfter: cfg.Followups.ReengageAfter.Duration,
			Quiet:         quiet,
			TimeZone:      tz,
			LostReasons:   bot.WhyLostReasons(),
		}, a.clock)
	engagements := postgres.NewEngagementStore(a.db)
	a.convs = crm.NewConversations(postgres.NewConversationStore(a.db), a.sales, engagements.Reach, engagements.MarkUnreachable,
		bot.Relay{Sender: sender}, crm.ConversationPolicy{OpenFor: cfg.Relay.OpenFor.Duration, RespondWithin: cfg.Routing.RespondWithin.Duration}, a.clock)
	a.engagement.PauseFor(a.convs)
	if a.api != nil {
		a.convs.UploadMedia(telegram.NewMedia(a.api, cfg.TelegramAPIEndpoint, a.httpClient), a.log.WarnContext)
	}
	a.queue, err = postgres.NewQueue(a.db, a.runJob, postgres.QueueOptions{Workers: cfg.Queue.Workers, Logger: a.log,
		JobTimeout: cfg.Queue.JobTimeout.Duration, RescueAfter: cfg.Queue.RescueAfter.Duration, ID: cfg.ReplicaID})
	if err != nil {
		return err
	}
	a.schedule = schedule.New(tz, a.db, a.clock, a.log, cfg.Queue.JobTimeout.Duration)
	if err := a.schedule.Add(ctx, "sla_sweep", cfg.Routing.SLASweep, a.sales.Sweep); err != nil {
		return fmt.Errorf("config: routing.sla_sweep: %w", err)
	}
	if err := a.schedule.Add(ctx, "respond_sweep", cfg.Routing.SLASweep, a.convs.Sweep); err != nil {
		return fmt.Errorf("config: routing.sla_sweep: %w", err)
	}
	a.desk = crm.NewDesk(a.sales, postgres.NewDeskStore(a.db))
	a.convs.KeepNotes(func(ctx context.Context, by crm.Manager, leadID int64, text string) error {
		_, err := a.desk.Note(ctx, by, leadID, text)
		return err
	})
	if err := a.schedule.Add(ctx, "warm_digest", cfg.Routing.WarmDigest, a.desk.Digest); err != nil {
		return fmt.Errorf("config: routing.warm_digest: %w", err)
	}
	// Call-backs come due on the SLA sweep's beat (every minute by default).
	if err := a.schedule.Add(ctx, "callbacks", cfg.Routing.SLASweep, a.desk.SweepCallbacks); err != nil {
		return fmt.Errorf("config: routing.sla_sweep: %w", err)
	}
	// Finished jobs' run marks go on the same beat: a statement a minute
	// instead of a round trip per job (postgres.Queue.PruneRuns).
	if err := a.schedule.Add(ctx, "job_runs", cfg.Routing.SLASweep, a.queue.PruneRuns); err != nil {
		return fmt.Errorf("config: routing.sla_sweep: %w", err)
	}
	if spec := cfg.Model.Schedule; spec != "" {
		if err := a.schedule.AddLong(ctx, "model_train", spec, modelTrainTimeout, a.learning.Sweep); err != nil {
			return fmt.Errorf("config: model.schedule: %w", err)
		}
	}
	for _, s := range []struct {
		name, spec string
		sweep      func(context.Context, time.Time) error
	}{
		{"nps_surveys", cfg.Surveys.Schedule, a.engagement.SweepSurveys},
		{"followups", cfg.Followups.Schedule, a.engagement.SweepFollowups},
		{"reengage", cfg.Followups.ReengageSchedule, a.engagement.SweepReengage},
	} {
		if err := a.schedule.Add(ctx, s.name, s.spec, s.sweep); err != nil {
			return err
		}
	}
	return nil
}

// salesGroupHandler builds the sales group's handler once the team
// commands are wired: the group answers them, and /lead with the card.
func (a *App) salesGroupHandler() {
	if a.salesGroupSender == nil {
		return
	}
	tz, _ := time.LoadLocation(a.cfg.TimeZone) // validated
	opts := telegram.SalesGroupOptions{TimeZone: tz, Language: a.cfg.Language, Logger: a.log, Cards: a.sales, Desk: a.desk}
	if a.teamDesk != nil {
		opts.Team = a.teamDesk
	}
	a.salesGroup = telegram.NewSalesGroupHandler(a.sales, a.salesGroupSender, a.cfg.TelegramSalesChatID, opts)
	if a.convs != nil {
		a.salesGroup.SetConversation(a.convs)
	}
}

// menus are the Telegram command menus per audience: the customers' in
// every private chat (in the default flow's first language, and in each
// language the menu speaks for clients set to it), each team member's in
// their own chat, and the sales group's.
func (a *App) menus() []telegram.Menu {
	lang := "ru"
	if f := a.flows[a.cfg.DefaultFlow]; f != nil && len(f.Languages) > 0 {
		lang = f.Languages[0]
	}
	menus := []telegram.Menu{{Commands: bot.CustomerMenu(lang)}}
	for _, l := range bot.CustomerMenuLanguages() {
		menus = append(menus, telegram.Menu{Language: l, Commands: bot.CustomerMenu(l)})
	}
	for _, m := range a.sales.Team() {
		if m.TelegramID != 0 {
			menus = append(menus, telegram.Menu{ChatID: m.TelegramID, Commands: bot.TeamMenu(m, bot.MemberLang(m, a.cfg.Language))})
		}
	}
	if a.cfg.TelegramSalesChatID != 0 {
		menus = append(menus, telegram.Menu{ChatID: a.cfg.TelegramSalesChatID, Commands: bot.GroupMenu(a.cfg.Language)})
	}
	return menus
}

// teamMenu sets a team member's menu when they start the bot: before
// that Telegram has no chat to scope it to.
func (a *App) teamMenu(ctx context.Context, m crm.Manager) {
	if a.api == nil || m.TelegramID == 0 {
		return
	}
	if err := telegram.SetMenus(ctx, a.api, []telegram.Menu{{ChatID: m.TelegramID, Commands: bot.TeamMenu(m, bot.MemberLang(m, a.cfg.Language))}}); err != nil {
		a.log.WarnContext(ctx, "command menu of a team member", "manager", m.Name, "err", err)
	}
}

// runJob does one queued job: engagement's or the sales desk's.
func (a *App) runJob(ctx context.Context, job crm.Job) error {
	if a.convs.Handles(job.Kind) {
		return a.convs.Run(ctx, job)
	}
	if a.engagement.Handles(job.Kind) {
		return a.engagement.Run(ctx, job)
	}
	if a.desk.Handles(job) {
		return a.desk.Run(ctx, job)
	}
	if a.campaigns != nil && a.campaigns.Handles(job.Kind) {
		return a.campaigns.Run(ctx, job)
	}
	return a.sales.Run(ctx, job)
}

// newRouter wires the Telegram router: the customers' dispatcher; the
// sales group's handler for its chat, when there is a group; and the
// team's team commands, behind the dispatcher's gate (they share the
// chat and the update ids with the customer a member may also be), when
// they are wired.
func (a *App) newRouter() (*telegram.Router, error) {
	cfg := telegram.RouterConfig{Customers: a.dispatcher}
	if a.salesGroup != nil {
		cfg.SalesChatID, cfg.SalesGroup = a.cfg.TelegramSalesChatID, a.salesGroup
	}
	if a.teamDesk != nil {
		cfg.Members, cfg.Team = a.sales, a.dispatcher.Gated(a.teamDesk)
	}
	return telegram.NewRouter(cfg)
}

func openDB(ctx context.Context, cfg *Config, logger *slog.Logger) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return db, nil
}

// loadFlows reads the flows directory, or the embedded flows when the
// config says "embedded" or the default directory is not there (the binary
// run from anywhere).
func loadFlows(cfg *Config) (map[string]*flows.Flow, error) {
	fl, err := loadFlowDir(cfg)
	if err != nil {
		return nil, err
	}
	for _, file := range cfg.FlowFiles {
		f, err := flows.Load(file)
		if err != nil {
			return nil, err
		}
		fl[f.ID] = f
	}
	return fl, nil
}

func loadFlowDir(cfg *Config) (map[string]*flows.Flow, error) {
	if cfg.Flows == "embedded" {
		return flows.LoadFS(configs.FS(), "flows")
	}
	if _, err := os.Stat(cfg.Flows); errors.Is(err, os.ErrNotExist) && cfg.Flows == defaultConfig().Flows {
		return flows.LoadFS(configs.FS(), "flows")
	}
	fl, err := flows.LoadDir(cfg.Flows)
	if err != nil {
		return nil, fmt.Errorf("config: flows: %w", err)
	}
	return fl, nil
}

// Handler is every HTTP endpoint of the process. Every request has
// http.request_timeout: the Telegram webhook, the Slack endpoints and
// whatever is mounted later get a context with that deadline, which each
// PostgreSQL and Redis call on their way keeps (/readyz has its own,
// shorter one; a Slack command its 2.5s budget).
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+a.cfg.WebhookPath(), telegram.NewWebhook(a.router, a.cfg.TelegramWebhookSecret, telegram.WebhookOptions{
		MaxBody: a.cfg.Telegram.MaxBody,
		Logger:  a.log,
	}))
	a.slackRoutes(mux)
	a.teamRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", a.metrics.handler())
	return withDeadline(mux, a.cfg.HTTP.RequestTimeout.Duration)
}

// withDeadline gives each request's context the deadline d. What the
// handler started with the context ends there (the drivers honour it), and
// the handler answers as it does for any failure: the webhook with a 500,
// so Telegram delivers the update again.
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// readyTimeout bounds /readyz: every check and the answer itself.
const readyTimeout = 2 * time.Second

// ready answers 200 when PostgreSQL and Redis both answer within
// readyTimeout, 503 otherwise. The checks run at once, each under the
// deadline, and the answer goes at the deadline whether or not a driver
// has given up by then: a check still running is a failed one. The body
// names only the dependency that failed ("postgres: unavailable"), since
// anyone who can reach the port may read it; the driver's error, which
// names the host, the database and the user, goes to the log.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	checks := []struct {
		name string
		ping func(context.Context) error
	}{
		{"postgres", a.db.Ping},
		{"redis", a.redis.Ping},
	}
	errs := make([]chan error, len(checks))
	for i, c := range checks {
		errs[i] = make(chan error, 1) // buffered: a late check never blocks
		go func() { errs[i] <- c.ping(ctx) }()
	}
	var failed []string
	for i, c := range checks {
		var err error
		select {
		case err = <-errs[i]:
		case <-ctx.Done():
			// A check that answered while an earlier one used up the
			// deadline has its answer waiting: select picks at random
			// among ready cases, so look again before calling it late.
			select {
			case err = <-errs[i]:
			default:
				err = fmt.Errorf("no answer within %s: %w", readyTimeout, ctx.Err())
			}
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "not ready", "dependency", c.name, "err", err)
			failed = append(failed, c.name+": unavailable")
		}
	}
	if len(failed) > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(failed, "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// drainTimeout bounds the graceful stop: in-flight updates get this long
// to finish after SIGTERM (orchestrators usually kill at 30s).
const drainTimeout = 20 * time.Second

// Run serves HTTP and receives updates (webhook when TELEGRAM_WEBHOOK_URL
// is set, long polling otherwise) until ctx ends, then drains.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	return a.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.api == nil {
		return errors.New("serve: this app has no Telegram connection (it was built with its own sender)")
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := a.queue.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: nothing ran, nothing to drain
		}
		return err
	}
	a.schedule.Start(ctx)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		a.log.Info("http listening", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
		defer cancel()
		// In-flight requests first (their jobs are queued by then), then
		// the sweeps, then the jobs running on this replica.
		err := srv.Shutdown(sctx)
		a.schedule.Stop()
		return errors.Join(err, a.queue.Stop(sctx))
	})
	g.Go(func() error {
		// The menus are a convenience: a failure is logged, never fatal.
		if err := telegram.SetMenus(gctx, a.api, a.menus()); err != nil && gctx.Err() == nil {
			a.log.Warn("command menus", "err", err)
		}
		return nil
	})
	if a.cfg.TelegramWebhookURL != "" {
		g.Go(func() error {
			if err := telegram.SetWebhook(gctx, a.api, a.cfg.TelegramWebhookURL, a.cfg.TelegramWebhookSecret, a.cfg.Telegram.MaxConnections); err != nil {
				return fmt.Errorf("set webhook: %w", err)
			}
			a.log.Info("webhook mode", "path", a.cfg.WebhookPath())
			return nil
		})
	} else {
		poller := telegram.NewPoller(a.api, a.router, telegram.PollerOptions{
			Timeout:       int(a.cfg.Telegram.PollTimeout.Seconds()),
			Logger:        a.log,
			HandleTimeout: a.cfg.HTTP.RequestTimeout.Duration,
		})
		a.log.Info("long polling mode")
		g.Go(func() error { return poller.Run(gctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	a.log.Info("stopped")
	return err
}

// Close releases what NewApp opened.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// engagementStore is the store behind the engagement decisions (tests
// wrap it).
func (a *App) engagementStore() crm.EngagementStore { return postgres.NewEngagementStore(a.db) }

// redisGate is the Redis store as the dispatcher's bot.Gate (the store
// cannot name bot's types: imports point inward).
type redisGate struct{ *redis.Store }

func (g redisGate) Enter(ctx context.Context, updateID, chatID int64, lease time.Duration) (bot.Turn, error) {
	t, err := g.Store.Enter(ctx, updateID, chatID, lease)
	if err != nil {
		return nil, err
	}
	return redisTurn{t}, nil
}

// redisTurn is a Redis turn as a bot.ReservingTurn: its commit reserves
// the reply's slots in the same store as redisLimiter, which the Telegram
// sender uses.
type redisTurn struct{ *redis.Turn }

var _ bot.ReservingTurn = redisTurn{}

func (t redisTurn) CommitReserveRelease(ctx context.Context, session []byte, sessionTTL, keep time.Duration, buckets []bot.Bucket) ([][]time.Duration, error) {
	return t.Turn.CommitReserveRelease(ctx, session, sessionTTL, keep, redisBuckets(buckets))
}

func redisBuckets(buckets []bot.Bucket) []redis.Bucket {
	rb := make([]redis.Bucket, len(buckets))
	for i, b := range buckets {
		rb[i] = redis.Bucket(b)
	}
	return rb
}

// redisLimiter is the Redis store as a bot.BatchLimiter and, through the
// Store's own Admit and Done, a bot.WindowLimiter.
type redisLimiter struct{ *redis.Store }

var (
	_ bot.BatchLimiter      = redisLimiter{}
	_ bot.WindowLimiter     = redisLimiter{}
	_ bot.LateWindowLimiter = redisLimiter{}
)

func (l redisLimiter) ReserveAll(ctx context.Context, buckets []bot.Bucket) ([][]time.Duration, error) {
	return l.Store.ReserveAll(ctx, redisBuckets(buckets))
}

// botUsername is the bot's @username for links to it, "" without Telegram.
func botUsername(api *telegram.API) string {
	if api == nil {
		return ""
	}
	return api.Username()
}

// tz is the configured time zone (validated at load).
func (a *App) tz() *time.Location {
	tz, err := time.LoadLocation(a.cfg.TimeZone)
	if err != nil {
		return time.UTC
	}
	return tz
}
