package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestBenchFaults is the CI-size fault run: two replicas (child processes
// of this test binary, see TestMain) and 200 customers, with every kind of
// fault at least once (a replica killed with SIGKILL, the replicas'
// PostgreSQL connections ended, the run's Redis keys flushed, 429 and 502
// bursts from the Bot API, 429/503 from Slack) and duplicate and stale
// deliveries. Every invariant must hold. `make bench-faults` is the same
// at full size.
func TestBenchFaults(t *testing.T) {
	t.Parallel()
	postgrestest.URL(t) // skips with VORONKA_SKIP_DB=1
	var log bytes.Buffer
	o := benchOptions{
		Customers: 200, Replicas: 2, Concurrency: 16,
		// Paced, so that the faults fall while customers are talking.
		Rate: 200, Bad: 0.1, Hot: 0.3,
		Faults: true, FaultEvery: 600 * time.Millisecond, Dup: -1, Stale: -1,
		FaultPlan: []string{"kill", "redis", "telegram429", "postgres", "slack", "kill", "telegram5xx", "redis"},
		Seed:      42,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := runBench(ctx, o, os.Getenv, replicaProgram{Path: os.Args[0], Args: []string{"-test.run=^$"}}, &log)
	require.NoError(t, err, log.String())
	var out bytes.Buffer
	rep.print(&out)
	t.Log("\n" + log.String() + out.String())
	for _, inv := range rep.Invariants {
		require.True(t, inv.OK, "%s: %s\n%s", inv.Name, inv.Detail, strings.Join(inv.Errors, "\n"))
	}
	require.Len(t, rep.Invariants, 7, "the sales phase ran: surveys and quiet hours were checked")
	require.Equal(t, 200, rep.Finished, "every customer finished")
	for _, kind := range []string{"kill", "redis", "postgres", "telegram429"} {
		require.NotZero(t, rep.Faults[kind], "no %s fault happened", kind)
	}
	require.NotZero(t, rep.Cards)
}
