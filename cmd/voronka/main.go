// Command voronka is the Voronka CRM bot: `serve` (the default) runs it,
// `migrate` applies the database migrations, `bench` loads it and breaks
// it on purpose, `version` prints the build.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "voronka:", err)
		os.Exit(1)
	}
}

const usage = `usage: voronka [command] [flags]

commands:
  serve     run the bot (default): Telegram webhook or long polling, HTTP endpoints
  migrate   apply the database migrations and exit
  chat      talk to the bot in the terminal, through the same flows and storage:
            chat [--flow ID] [--lang ru|en] [--payload PAYLOAD] [--user ID]; "chat -h" for details
  flows     "flows lint [FILE|DIR...]" checks flow files, "flows graph FLOW" draws one
            as DOT, Mermaid or PNG; "flows help" for details
  bench     load and fault suite: replicas of this binary against PostgreSQL and Redis,
            simulated customers, invariants checked; "bench -h" for details
  version   print the version

Configuration: VORONKA_CONFIG (file), DATABASE_URL, REDIS_URL, TELEGRAM_TOKEN,
TELEGRAM_API_ENDPOINT, TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, HTTP_ADDR.
Without DATABASE_URL / REDIS_URL, serve and chat use PostgreSQL / Redis on
localhost when they answer, else an embedded PostgreSQL (data in --data-dir,
VORONKA_DATA_DIR, $XDG_DATA_HOME/voronka or .data) and an in-process Redis.
See README.md.
`

// run is main without the process: arguments, environment and streams are
// passed in so tests can drive every subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stderr)
		migrate := fs.Bool("migrate", false, "apply migrations before serving (always done on the embedded defaults)")
		dataDir := fs.String("data-dir", "", dataDirUsage)
		profile := fs.String("cpuprofile", getenv("VORONKA_CPUPROFILE"), "write a CPU profile of the process to this file when it stops (default VORONKA_CPUPROFILE)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		stop, err := startCPUProfile(*profile)
		if err != nil {
			return err
		}
		defer stop()
		return serve(ctx, getenv, stderr, *migrate, *dataDir)
	case "chat":
		return chatCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, getenv, stdout, stderr)
	case "flows":
		return flowsCmd(ctx, args, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "voronka", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
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

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer, migrate bool, dataDir string) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	logger.Info("starting voronka", append([]any{"version", version}, cfg.Redacted()...)...)
	if cfg.TelegramToken == "" {
		return errors.New("config: TELEGRAM_TOKEN: is required to serve (try a token from @BotFather)")
	}
	local, err := useLocalDefaults(ctx, cfg, getenv, localOptionsFrom(getenv, dataDir), logger)
	if err != nil {
		return err
	}
	defer local.Close()
	app, err := NewApp(ctx, cfg, logger, Deps{Migrate: migrate || local.Migrate})
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

func migrateCmd(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
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

// startCPUProfile writes a Go CPU profile to path until stop is called;
// with no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
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
