package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/voronka/voronka/cmd/internal/app"
)

// TestMain lets the bench run replicas in tests: the test binary is not
// voronka, so the bench re-executes it with replicaEnv set, and then it
// runs that voronka command (serve) instead of the tests, exactly as the
// binary would.
func TestMain(m *testing.M) {
	if cmd := os.Getenv(replicaEnv); cmd != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := serveReplica(ctx, cmd)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "voronka:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveReplica is what `voronka serve` does, for the one command the bench
// runs its replicas with.
func serveReplica(ctx context.Context, cmd string) error {
	if cmd != "serve" {
		return fmt.Errorf("replica: unknown command %q", cmd)
	}
	stop, err := app.StartCPUProfile(os.Getenv("VORONKA_CPUPROFILE"))
	if err != nil {
		return err
	}
	defer stop()
	return app.Serve(ctx, os.Getenv, os.Stderr, app.ServeOptions{})
}
