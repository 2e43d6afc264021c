package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seedWonLeads stores n customers, each with a lead won long ago, straight
// in SQL: the survey sweep's input at any size.
func (b *bundle) seedWonLeads(n int, wonAt time.Time) {
	b.t.Helper()
	_, err := b.db.Pool.Exec(context.Background(), `
		WITH c AS (
			INSERT INTO contacts (telegram_user_id, chat_id, first_name, language, created_at, updated_at)
			SELECT 7000000 + g, 7000000 + g, 'Customer', 'en', $2, $2 FROM generate_series(1, $1) g
			RETURNING id)
		INSERT INTO leads (contact_id, stage, score, temperature, flow_id, flow_version, step, created_at, updated_at, qualified_at, won_at, amount)
		SELECT id, 'won', 80, 'hot', 'qualify', 1, '', $2, $2, $2, $2, 1000 FROM c`, n, wonAt)
	require.NoError(b.t, err)
}

// broadcastConfig paces at Telegram's defaults; the survey sweep is driven
// by the test.
const broadcastConfig = `timezone: UTC
quiet_hours: {from: "", to: ""}
queue: {workers: 16}
surveys: {nps_after: 7d, repeat_after: 90d, schedule: "0 0 1 1 *"}
routing: {sla_sweep: "0 0 1 1 *", warm_digest: "0 0 1 1 *"}
`

// TestBroadcastKeepsTelegramLimits: a survey sweep to many customers, with
// the Bot API server enforcing 30 messages a second and one a second per
// chat, gets no 429: the senders keep to the limits across the replica's
// workers instead of leaning on retry_after.
func TestBroadcastKeepsTelegramLimits(t *testing.T) {
	t.Parallel()
	b := setupWithDeps(t, broadcastConfig, nil, nil)
	b.realSleep = true
	b.srv.Close()
	b.app.Close()
	b.start()
	b.tg.EnforceLimits(30, time.Second)
	const n = 75
	b.seedWonLeads(n, time.Now().Add(-8*24*time.Hour))
	b.serving(nil)

	start := time.Now()
	require.NoError(t, b.app.engagement.SweepSurveys(context.Background(), time.Now()))
	// sent_at is set just before each send (so that nothing after it can
	// send twice): wait for the messages themselves.
	_, err := b.tg.WaitCalls(t.Context(), "sendMessage", n)
	require.NoError(t, err)
	took := time.Since(start)
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM surveys WHERE sent_at IS NOT NULL`) == n })
	require.Zero(t, b.tg.LimitRefusals(), "no 429 from the enforced limits")
	sent := 0
	for _, c := range b.tg.Calls() {
		if c.Method == "sendMessage" {
			sent++
		}
	}
	require.Equal(t, n, sent, "each survey sent once")
	t.Logf("%d surveys in %s: %.1f messages/s", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
}

// BenchmarkSurveyBroadcast sends b.N due surveys through the real sender
// and queue to the test Bot API server enforcing Telegram's limits (30
// messages in any second, 1 per chat per second) and reports the achieved
// rate against the 30/s allowed, and the 429s (which must be 0).
//
//	go test ./cmd/voronka -run '^$' -bench SurveyBroadcast -benchtime 10000x -timeout 30m
func BenchmarkSurveyBroadcast(b *testing.B) {
	bd := setupWithDeps(b, broadcastConfig, nil, nil)
	bd.realSleep = true
	bd.srv.Close()
	bd.app.Close()
	bd.start()
	bd.tg.EnforceLimits(30, time.Second)
	bd.seedWonLeads(b.N, time.Now().Add(-8*24*time.Hour))
	bd.serving(nil)
	b.ResetTimer()
	start := time.Now()
	if err := bd.app.engagement.SweepSurveys(context.Background(), time.Now()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(b.N)*time.Second/20+time.Minute)
	defer cancel()
	if calls, err := bd.tg.WaitCalls(ctx, "sendMessage", b.N); err != nil {
		b.Fatalf("only %d of %d surveys sent", len(calls), b.N)
	}
	took := time.Since(start)
	b.StopTimer()
	rate := float64(b.N) / took.Seconds()
	b.ReportMetric(rate, "messages/s")
	b.ReportMetric(100*rate/30, "%_of_30/s")
	b.ReportMetric(float64(bd.tg.LimitRefusals()), "429s")
	b.ReportMetric(0, "ns/op")
}
