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

// TestBenchReportsLatencyByStep: the report splits the reply latency by
// what the update was, slowest p99 first, with how many took over 20 ms.
func TestBenchReportsLatencyByStep(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, n := range v {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	var r benchReport
	r.load(loadResult{Elapsed: time.Second, Acked: 9, Latencies: ms(1, 2, 3, 30, 2, 2, 40, 25, 5), ByStep: map[string][]time.Duration{
		"budget":              ms(2, 1, 3),
		"comment (hot, last)": ms(30, 25, 40),
		"/start":              ms(2, 20, 5),
	}}, benchOptions{})
	require.Equal(t, []stepLatency{
		{Step: "comment (hot, last)", Updates: 3, P50Ms: 30, P99Ms: 30, Over20: 3},
		{Step: "/start", Updates: 3, P50Ms: 5, P99Ms: 5, Over20: 0},
		{Step: "budget", Updates: 3, P50Ms: 2, P99Ms: 2, Over20: 0},
	}, r.ByStep)
	var out strings.Builder
	r.print(&out)
	require.Contains(t, out.String(), "comment (hot, last)")
	require.Contains(t, out.String(), "3 of 3 over 20 ms")

	hot := &benchCustomer{hot: true}
	require.Equal(t, "/start", stepLabel(&benchStep{}, hot))
	hot.acked = append(hot.acked, ackedUpdate{})
	require.Equal(t, "other", stepLabel(&benchStep{}, hot))
	require.Equal(t, "comment (hot, last)", stepLabel(&benchStep{step: "comment", final: true}, hot))
	require.Equal(t, "comment (last)", stepLabel(&benchStep{step: "comment", final: true}, &benchCustomer{}))
	require.Equal(t, "need", stepLabel(&benchStep{step: "need"}, hot))
}
