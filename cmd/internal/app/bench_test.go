package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// hotDialogue is the default flow's hot path, one update a step.
func hotDialogue(chat int64) []tgbotapi.Update {
	return []tgbotapi.Update{
		en(telegramtest.Text(chat, chat, "/start s-bench__c-load")),
		en(telegramtest.Callback(chat, chat, 1, "need:buy")),
		en(telegramtest.Text(chat, chat, "1,5 млн")),
		en(telegramtest.Callback(chat, chat, 2, "timeline:week")),
		en(telegramtest.Callback(chat, chat, 3, "role:decision_maker")),
		en(telegramtest.Callback(chat, chat, 4, "company_size:!skip")),
		en(telegramtest.Contact(chat, chat, chat, "+79161234567")),
		en(telegramtest.Text(chat, chat, "call me")),
	}
}

// BenchmarkWebhook posts customers' updates over HTTP to the webhook of an
// App backed by the real PostgreSQL and Redis, each reply going to the test
// Bot API server, and reports updates per second and the p50/p99 latency
// of one update (request in, answer row and lead stored, reply sent,
// response out). Customers walk the default flow's hot path concurrently,
// each chat in order, as Telegram delivers them.
//
//	go test ./cmd/voronka -run '^$' -bench Webhook -benchtime 20000x
//
// The machine's own limit, measured beside it: PostgreSQL's insert rate
// with pgbench (`make bench-limit`, which runs .ci/pgbench-insert: one-row
// INSERT transactions from 8 clients for 10 s). Each update here costs one
// PostgreSQL round trip (one statement writes the answer, the lead and the
// events; the last answer is a transaction with its sales alert job) and
// four Redis round trips (enter, commit, one rate-limit reservation for the
// whole reply, release). `voronka bench` is the same path with replicas in
// their own processes, faults and memory (docs/benchmarks.md).
func BenchmarkWebhook(b *testing.B) {
	bd := setupWith(b, "telegram:\n  global_per_second: 1000000\n  chat_per_second: 100000\n  chat_burst: 1000\n")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const workers = 16
	var (
		next      atomic.Int64
		chatSeq   atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		failures  atomic.Int64
	)
	chatSeq.Store(1_000_000)
	post := func(u tgbotapi.Update) (time.Duration, bool) {
		body, _ := json.Marshal(u)
		req, _ := http.NewRequest(http.MethodPost, bd.srv.URL+"/telegram/webhook", bytes.NewReader(body))
		req.Header.Set(telegram.SecretHeader, webhookSecret)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		d := time.Since(start)
		if err != nil {
			return d, false
		}
		resp.Body.Close()
		return d, resp.StatusCode == http.StatusOK
	}
	var updateID atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var dialogue []tgbotapi.Update
			for next.Add(1) <= int64(b.N) {
				if len(dialogue) == 0 {
					dialogue = hotDialogue(chatSeq.Add(1))
				}
				u := dialogue[0]
				dialogue = dialogue[1:]
				u.UpdateID = int(updateID.Add(1))
				d, ok := post(u)
				if !ok {
					failures.Add(1)
				}
				mine = append(mine, d)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d updates failed", n, b.N)
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(float64(len(latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "updates/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op")
	if b.N >= 8 {
		var leads int
		_ = bd.db.Pool.QueryRow(b.Context(), `SELECT count(*) FROM leads WHERE temperature = 'hot'`).Scan(&leads)
		b.Logf("%d updates, %d hot leads stored, %s", b.N, leads, fmt.Sprint(elapsed.Round(time.Millisecond)))
	}
}

// BenchmarkCardLatency measures the time from a customer's last answer
// (the webhook request that qualifies a hot lead) to its card arriving at
// the Slack API server, over b.N leads from 8 concurrent customers: the
// answer's transaction queues the alert, a River worker picks it up
// (LISTEN/NOTIFY), builds the card and posts it with the real slack-go
// client. Slack's own pacing of about one message per second per channel
// is excluded here (the senders' waits are injected and recorded, not
// slept); a burst of hot leads adds that wait in production.
//
//	go test ./cmd/voronka -run '^$' -bench CardLatency -benchtime 300x
func BenchmarkCardLatency(b *testing.B) {
	sl := slackfake.NewServer(b)
	bd := setupWithDeps(b, salesConfig+"queue:\n  workers: 8\n", map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, nil)
	bd.serving(nil)
	var (
		mu      sync.Mutex
		started = map[int64]time.Time{} // chat -> last answer sent
		next    atomic.Int64
	)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				chat := 5_000_000 + n
				d := hotDialogue(chat)
				for _, u := range d[:len(d)-1] {
					bd.say(u)
				}
				t0 := time.Now()
				bd.say(d[len(d)-1])
				mu.Lock()
				started[chat] = t0
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cards, err := sl.WaitCalls(ctx, "chat.postMessage", b.N)
	if err != nil {
		b.Fatalf("cards: %v", err)
	}
	b.StopTimer()
	byLead := map[string]time.Time{}
	for _, c := range cards {
		for _, line := range strings.Split(c.Texts(), "\n") {
			if strings.HasPrefix(line, "Lead #") {
				id, _, _ := strings.Cut(strings.TrimPrefix(line, "Lead #"), " ")
				byLead[id] = c.At
			}
		}
	}
	var lat []time.Duration
	for chat, t0 := range started {
		at, ok := byLead[fmt.Sprint(bd.leadID(chat))]
		if !ok {
			b.Fatalf("no card for chat %d", chat)
		}
		lat = append(lat, at.Sub(t0))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op")
}
