package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// TestMain lets the bench run replicas in tests: the test binary is not
// voronka, so the bench re-executes it with replicaEnv set, and then it
// runs that voronka command (serve) instead of the tests, exactly as the
// binary would.
func TestMain(m *testing.M) {
	if cmd := os.Getenv(replicaEnv); cmd != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, []string{cmd}, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "voronka:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
