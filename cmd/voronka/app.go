package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/sync/errgroup"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
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
	api        *tgbotapi.BotAPI
	dispatcher *bot.Dispatcher
	metrics    *metrics
}

// NewApp opens (or takes) the databases, loads and checks the flows,
// connects to the Bot API (unless deps.Sender replaces it) and wires the
// dispatcher.
func NewApp(ctx context.Context, cfg *Config, logger *slog.Logger, deps Deps) (*App, error) {
	a := &App{cfg: cfg, log: logger, metrics: newMetrics()}
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
		sender = countingSender{telegram.NewSender(a.api, a.redis, telegram.SenderOptions{
			GlobalPerSecond: cfg.Telegram.GlobalPerSecond,
			ChatPerSecond:   cfg.Telegram.ChatPerSecond,
			ChatBurst:       cfg.Telegram.ChatBurst,
			GroupPerMinute:  cfg.Telegram.GroupPerMinute,
			Sleep:           deps.Sleep,
			Logger:          logger,
		}), a.metrics}
	}
	a.dispatcher, err = bot.NewDispatcher(bot.DispatcherConfig{
		Flows:       fl,
		DefaultFlow: cfg.DefaultFlow,
		Leads:       postgres.NewLeadStore(a.db),
		Sessions:    a.redis,
		Deliveries:  a.redis,
		Locker:      a.redis,
		Sender:      sender,
		Clock:       deps.Clock,
		Logger:      logger,
		SessionTTL:  cfg.SessionTTL.Duration,
		Observe:     a.metrics.observeUpdate,
	})
	if err != nil {
		return nil, err
	}
	ok = true
	return a, nil
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

// Handler is every HTTP endpoint of the process.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+a.cfg.WebhookPath(), telegram.NewWebhook(a.dispatcher, a.cfg.TelegramWebhookSecret, telegram.WebhookOptions{
		MaxBody: a.cfg.Telegram.MaxBody,
		Logger:  a.log,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", a.metrics.handler())
	return mux
}

// ready answers 200 when PostgreSQL and Redis both answer.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var errs []string
	if err := a.db.Ping(ctx); err != nil {
		errs = append(errs, "postgres: "+err.Error())
	}
	if err := a.redis.Ping(ctx); err != nil {
		errs = append(errs, "redis: "+err.Error())
	}
	if len(errs) > 0 {
		http.Error(w, fmt.Sprint(errs), http.StatusServiceUnavailable)
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
		return srv.Shutdown(sctx)
	})
	if a.cfg.TelegramWebhookURL != "" {
		if err := telegram.SetWebhook(ctx, a.api, a.cfg.TelegramWebhookURL, a.cfg.TelegramWebhookSecret, a.cfg.Telegram.MaxConnections); err != nil {
			return fmt.Errorf("set webhook: %w", err)
		}
		a.log.Info("webhook mode", "path", a.cfg.WebhookPath())
	} else {
		poller := telegram.NewPoller(a.api, a.dispatcher, telegram.PollerOptions{
			Timeout: int(a.cfg.Telegram.PollTimeout.Seconds()),
			Logger:  a.log,
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
