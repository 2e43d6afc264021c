// Command voronka-bench is Voronka's load and fault suite: it runs
// replicas of the voronka binary against PostgreSQL and Redis, drives
// simulated customers through the test Bot API and Slack servers, and
// checks the invariants. It is a binary of its own so that the server
// links none of that test code; `voronka bench` runs it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/voronka/voronka/cmd/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "voronka-bench:", err)
		os.Exit(1)
	}
}
