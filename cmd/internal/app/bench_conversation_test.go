package app

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// BenchmarkConversation measures the two relays of a conversation over
// b.N conversations, 16 at a time, against the real PostgreSQL and Redis,
// the real slack-go client and the Slack fake, the real Bot API client and
// its fake:
//
//   - customer → thread: from the customer's message entering the webhook
//     to its post arriving in the card's Slack thread (the message row and
//     its relay job in one transaction, a River worker, chat.postMessage
//     with its metadata, the post recorded);
//   - reply → customer: from a rep's thread reply entering /slack/events
//     (signed) to the relayed message arriving at the Bot API (the reply
//     row and its job, the first reply's claim and contact, a River
//     worker, sendMessage, the delivery recorded and its reaction added).
//
// Each lead is a hot lead with its card posted before the clock starts.
// The channels' pacing (Slack's 1/s per channel, Telegram's 1/s per chat)
// is recorded, not slept, as in BenchmarkCardLatency. For scale it also
// reports one PostgreSQL round trip (SELECT 1) on the same pool.
//
//	go test ./cmd/internal/app -run '^$' -bench Conversation -benchtime 300x
func BenchmarkConversation(b *testing.B) {
	sl := slackfake.NewServer(b)
	bd := setupWithDeps(b, salesConfig+"telegram:\n  global_per_second: 1000000\n  chat_per_second: 100000\n  chat_burst: 1000\nqueue:\n  workers: 16\n",
		map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
			"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
		}, nil)
	bd.serving(nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const workers = 16
	base := int64(2_000_000)

	// Untimed: b.N hot leads with their cards.
	parallel(b.N, workers, func(i int) {
		chat := base + int64(i)
		for _, u := range hotDialogue(chat) {
			u.UpdateID = int(bd.nextID.Add(1))
			bd.postRaw(bd.updateBody(telegramtest.WithName(u, "Anna", "Petrova", "anna_p")), webhookSecret)
		}
	})
	deadline := time.Now().Add(time.Minute)
	for bd.count(`SELECT count(*) FROM lead_cards`) < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("cards: %d of %d", bd.count(`SELECT count(*) FROM lead_cards`), b.N)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cards := map[int64]string{} // chat -> card ts
	rows, err := bd.db.Pool.Query(b.Context(), `SELECT c.chat_id, lc.ref FROM lead_cards lc JOIN leads l ON l.id = lc.lead_id
		JOIN contacts c ON c.id = l.contact_id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var chat int64
		var ref string
		if err := rows.Scan(&chat, &ref); err != nil {
			b.Fatal(err)
		}
		cards[chat] = ref[strings.LastIndexByte(ref, ':')+1:]
	}
	rows.Close()

	var rtt []time.Duration
	for range 200 {
		start := time.Now()
		_ = bd.db.Pool.QueryRow(b.Context(), `SELECT 1`).Scan(new(int))
		rtt = append(rtt, time.Since(start))
	}

	wait := func(what string, done func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !done() {
			if time.Now().After(deadline) {
				var refs, msgs, jobs string
				_ = bd.db.Pool.QueryRow(b.Context(), `SELECT coalesce(string_agg(r.channel || '=' || r.ref, ','), '') FROM message_refs r`).Scan(&refs)
				_ = bd.db.Pool.QueryRow(b.Context(), `SELECT coalesce(string_agg(id || ':' || lead_id || ':' || direction, ','), '') FROM messages`).Scan(&msgs)
				_ = bd.db.Pool.QueryRow(b.Context(), `SELECT coalesce(string_agg(state || ':' || (args->>'job') || ':' || attempt, ','), '') FROM river_job WHERE args->>'job' LIKE 'relay%'`).Scan(&jobs)
				panic("timed out waiting for " + what + " refs=" + refs + " msgs=" + msgs + " jobs=" + jobs)
			}
			time.Sleep(500 * time.Microsecond)
		}
	}
	var mu sync.Mutex
	var in, out []time.Duration
	b.ResetTimer()
	parallel(b.N, workers, func(i int) {
		chat := base + int64(i)
		ts := cards[chat]
		text := fmt.Sprintf("Question %d: can I pay in instalments?", i)
		start := time.Now()
		u := en(telegramtest.Text(chat, chat, text))
		u.UpdateID = int(bd.nextID.Add(1))
		if status, _ := bd.postBody(bd.updateBody(u), webhookSecret); status != http.StatusOK {
			panic(fmt.Sprint("webhook: ", status))
		}
		wait("the thread", func() bool {
			for _, m := range sl.Thread("CSALES", ts) {
				if strings.Contains(m.Text, text) {
					return true
				}
			}
			return false
		})
		dIn := time.Since(start)

		reply := fmt.Sprintf("Answer %d: yes, up to 12 months.", i)
		ev := sl.Say("CSALES", ts, "UBORIS", reply)
		start = time.Now()
		req, _ := http.NewRequest(http.MethodPost, bd.srv.URL+"/slack/events", bytes.NewReader(ev.Body))
		for k, v := range slack.Sign(slackSecret, ev.Body, time.Now()) {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			panic(fmt.Sprint("events: ", err))
		}
		resp.Body.Close()
		wait("the customer", func() bool {
			sent := bd.tg.Sent(chat)
			for j := len(sent) - 1; j >= 0; j-- {
				if strings.HasSuffix(sent[j].Text, reply) {
					return true
				}
			}
			return false
		})
		dOut := time.Since(start)
		mu.Lock()
		in, out = append(in, dIn), append(out, dOut)
		mu.Unlock()
	})
	b.StopTimer()
	deadline = time.Now().Add(30 * time.Second)
	for bd.count(`SELECT count(*) FROM messages WHERE direction = 'out' AND delivery = 'delivered'`) < b.N && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(in, 0.50), "in_p50_ms")
	b.ReportMetric(pct(in, 0.99), "in_p99_ms")
	b.ReportMetric(pct(out, 0.50), "out_p50_ms")
	b.ReportMetric(pct(out, 0.99), "out_p99_ms")
	b.ReportMetric(pct(rtt, 0.50), "pg_rtt_p50_ms")
	b.ReportMetric(0, "ns/op")
	if n := bd.count(`SELECT count(*) FROM messages WHERE direction = 'out' AND delivery = 'delivered'`); n != b.N {
		b.Fatalf("%d of %d replies delivered", n, b.N)
	}
}

// parallel runs do(0..n-1) on workers goroutines.
func parallel(n, workers int, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				do(int(i))
			}
		}()
	}
	wg.Wait()
}
