package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/voronka/voronka/cmd/internal/defaults"
)

// Version is set at build time with -ldflags "-X github.com/voronka/voronka/cmd/internal/app.Version=...".
var Version = "dev"

// ServeOptions are the flags of `voronka serve`.
type ServeOptions struct {
	// Migrate applies the migrations before serving (always done on the
	// embedded defaults).
	Migrate bool
	// DataDir is where the embedded PostgreSQL keeps its data.
	DataDir string
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Serve is `voronka serve`: the bot until ctx ends.
func Serve(ctx context.Context, getenv func(string) string, stderr io.Writer, o ServeOptions) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	logger.Info("starting voronka", append([]any{"version", Version}, cfg.Redacted()...)...)
	if cfg.TelegramToken == "" {
		return errors.New("config: TELEGRAM_TOKEN: is required to serve (try a token from @BotFather)")
	}
	local, err := useDefaults(ctx, cfg, getenv, o.DataDir, logger)
	if err != nil {
		return err
	}
	defer local.Close()
	app, err := NewApp(ctx, cfg, logger, Deps{Migrate: o.Migrate || local.Migrate})
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

// Migrate is `voronka migrate`.
func Migrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// StartCPUProfile writes a Go CPU profile to path until stop is called;
// with no path it does nothing.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// useDefaults points cfg at the local or embedded PostgreSQL and Redis
// wherever the environment left DATABASE_URL or REDIS_URL unset.
func useDefaults(ctx context.Context, cfg *Config, getenv func(string) string, dataDir string, logger *slog.Logger) (*defaults.Local, error) {
	local, err := defaults.Use(ctx, getenv, defaults.OptionsFrom(getenv, dataDir), logger)
	if err != nil {
		return nil, err
	}
	if local.DatabaseURL != "" {
		cfg.DatabaseURL = local.DatabaseURL
	}
	if local.RedisURL != "" {
		cfg.RedisURL = local.RedisURL
	}
	return local, nil
}
