package bench

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"runtime"
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
	if runtime.GOOS == "linux" {
		// A killed replica's CPU is counted through its exit status.
		require.True(t, rep.CPU.Measured, rep.CPU.Note)
		require.Positive(t, rep.CPU.ReplicasUs)
		require.Positive(t, rep.CPU.BenchUs)
	}
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

// TestBenchCPUPerUpdate: the report's CPU per update is each process
// group's CPU between the load's start and end, less the memory
// snapshot's span, divided by the updates; the rest of the machine is its
// busy time less the groups'.
func TestBenchCPUPerUpdate(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	sample := func(self, replicas, pg, redis, busy, all int) cpuSample {
		return cpuSample{self: ms(self), replicas: ms(replicas), postgres: ms(pg), redis: ms(redis),
			machineBusy: ms(busy), machine: ms(all), procOK: true}
	}
	span := cpuSpan{
		start: sample(100, 200, 300, 400, 1000, 2000),
		excluded: []cpuSample{
			sample(150, 250, 350, 450, 1200, 3000),
			sample(150, 250, 360, 500, 1260, 3100), // the snapshot: 10 ms PostgreSQL, 50 ms Redis
		},
		end: sample(350, 1250, 1160, 700, 4360, 6100),
	}
	c := span.report(1000, 2)
	require.True(t, c.Measured)
	require.InDelta(t, 250, c.BenchUs, 0.01)
	require.InDelta(t, 1050, c.ReplicasUs, 0.01)
	require.InDelta(t, 850, c.PostgresUs, 0.01)
	require.InDelta(t, 250, c.RedisUs, 0.01)
	require.InDelta(t, 3300, c.TotalUs, 0.01)
	require.InDelta(t, 900, c.OtherUs, 0.01)
	require.InDelta(t, 3300.0/4000, c.BusyShare, 1e-9)
	require.InDelta(t, 2e6/3300, c.MaxUpdatesSec, 0.01)
	require.Empty(t, c.Note)
	var out strings.Builder
	(&benchReport{CPUs: 2, CPU: c}).print(&out)
	require.Contains(t, out.String(), "3300 µs: generator and fakes 250, replicas 1050, PostgreSQL 850, Redis 250, rest of the machine 900")

	require.False(t, cpuSpan{start: span.start, end: span.end}.report(0, 2).Measured, "no updates, no figure")

	if runtime.GOOS != "linux" {
		return
	}
	// The readers on this machine's own /proc: this process's line (its
	// name may hold spaces and parentheses) and PostgreSQL found by name.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	st, ok := procStat(os.Getpid())
	require.True(t, ok)
	require.Equal(t, os.Getppid(), st.ppid)
	require.Positive(t, st.own)
	if os.Getenv("VORONKA_SKIP_DB") != "1" {
		if u, err := url.Parse(postgrestest.URL(t)); err == nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost") {
			_, _, found := serverCPU()
			require.True(t, found, "PostgreSQL at %s runs on this machine", u.Host)
		}
	}
	busy, _, all := machineCPU()
	require.Positive(t, busy)
	require.Greater(t, all, busy)
}
