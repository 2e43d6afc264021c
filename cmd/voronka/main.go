// Command voronka is the Voronka CRM bot: `serve` (the default) runs it,
// `migrate` applies the database migrations, `chat` and `flows` are the
// operator's tools, `bench` runs the load and fault suite (a separate
// binary, voronka-bench, so this one links no test code), `version`
// prints the build. The bodies live in cmd/internal/app.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/voronka/voronka/cmd/internal/app"
	"github.com/voronka/voronka/cmd/internal/defaults"
)

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
  serve     run the bot (default): Telegram webhook or long polling, HTTP endpoints;
            serve [--migrate] [--data-dir DIR] [--cpuprofile FILE]; "serve -h" for details
  migrate   apply the database migrations and exit
  chat      talk to the bot in the terminal, through the same flows and storage:
            chat [--flow ID|FILE] [--lang ru|en] [--payload PAYLOAD] [--user ID] [--live];
            in a sandbox schema of its own unless --live; "chat -h" for details
  flows     "flows lint [FILE|DIR...]" checks flow files, "flows graph FLOW" draws one
            as DOT, Mermaid or PNG; "flows help" for details
  campaigns "campaigns lint [FILE|DIR...]" checks campaign and segment files,
            "campaigns preview NAME" shows the audience and when each would be sent,
            "campaigns send NAME --dry-run" lists what a send would queue
  model     "model train" fits the win-probability model now and promotes it if it does
            better on the most recent leads; "model show" prints what /model shows
  bench     load and fault suite: replicas of this binary against PostgreSQL and Redis,
            simulated customers, invariants checked (runs voronka-bench, built beside
            this binary by "make build"); "bench -h" for details
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
	if len(args) > 0 && isHelp(args[0]) {
		// The commands, not serve's flags: "voronka -h" asks what the
		// binary does ("voronka serve -h" lists serve's flags).
		fmt.Fprint(stdout, usage)
		return nil
	}
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o app.ServeOptions
		fs.BoolVar(&o.Migrate, "migrate", false, "apply migrations before serving (always done on the embedded defaults)")
		fs.StringVar(&o.DataDir, "data-dir", "", defaults.DataDirUsage)
		profile := fs.String("cpuprofile", getenv("VORONKA_CPUPROFILE"), "write a CPU profile of the process to this file when it stops (default VORONKA_CPUPROFILE)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if getenv("GOGC") == "" {
			debug.SetGCPercent(serveGCPercent)
		}
		stop, err := app.StartCPUProfile(*profile)
		if err != nil {
			return err
		}
		defer stop()
		return app.Serve(ctx, getenv, stderr, o)
	case "chat":
		return app.Chat(ctx, args, getenv, stdin, stdout, stderr)
	case "migrate":
		return app.Migrate(ctx, getenv, stdout, stderr)
	case "flows":
		return app.Flows(ctx, args, getenv, stdout, stderr)
	case "campaigns":
		return app.Campaigns(ctx, args, getenv, stdout, stderr)
	case "model":
		return app.Model(ctx, args, getenv, stdout, stderr)
	case "bench":
		return bench(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "voronka", app.Version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// serveGCPercent is the server's GOGC unless the environment sets one.
// Its live heap is small (tens of MB: sessions live in Redis, facts in
// PostgreSQL), so collecting when the heap has tripled rather than
// doubled costs little memory, and every update allocates: the collector
// took about a twentieth of the server's CPU at 100 (docs/benchmarks.md).
const serveGCPercent = 200

// isHelp reports whether arg asks for help in any of the spellings
// people type.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// bench runs voronka-bench (beside this binary, else on PATH) with this
// binary as the replicas' program. The suite is a binary of its own
// because it links the Bot API and Slack fakes and the testing package,
// which the server must not carry.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this binary: %w", err)
	}
	prog := filepath.Join(filepath.Dir(self), "voronka-bench")
	if _, err := os.Stat(prog); err != nil {
		if prog, err = exec.LookPath("voronka-bench"); err != nil {
			return errors.New("bench: voronka-bench is not beside this binary nor on PATH; build it with `make build` (go build ./cmd/voronka-bench)")
		}
	}
	c := exec.CommandContext(ctx, prog, append([]string{"--voronka", self}, args...)...)
	c.Stdout, c.Stderr = stdout, stderr
	return c.Run()
}
