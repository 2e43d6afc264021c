package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

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
// PostgreSQL transaction (answer, lead, events) plus five Redis round
// trips, so updates/s is bounded by that insert rate.
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
