package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// tcpProxy stands between the App and PostgreSQL so a test can take the
// database away and bring it back without stopping the server every other
// test uses.
type tcpProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop refuses new connections and cuts the open ones: PostgreSQL is down.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// start listens again on the same address: PostgreSQL is back.
func (p *tcpProxy) start(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(t, err)
	p.serve(ln)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestReadyzFollowsPostgres: /readyz is 503 while PostgreSQL is away and
// 200 again when it is back; /healthz stays 200 throughout.
func TestReadyzFollowsPostgres(t *testing.T) {
	t.Parallel()
	var proxy *tcpProxy
	db := dbThrough(t, 2, func(target string) string {
		proxy = newTCPProxy(t, target)
		return proxy.addr
	})

	b := setup(t)
	b.srv.Close()
	b.app.Close()
	b.db = db
	b.start()

	status, _ := get(t, b.srv.URL+"/readyz")
	require.Equal(t, http.StatusOK, status)
	proxy.stop()
	status, body := get(t, b.srv.URL+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "postgres")
	status, _ = get(t, b.srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, status)
	proxy.start(t)
	b.waitFor(func() bool { s, _ := get(t, b.srv.URL+"/readyz"); return s == http.StatusOK })
}

// TestMetricsSeries: /metrics has the named series once updates flowed.
func TestMetricsSeries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.hotDialogueTo(701)
	b.say(telegramtest.Text(702, 702, "/start"))
	b.say(telegramtest.Text(702, 702, "/start"))
	status, body := get(t, b.srv.URL+"/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{
		`voronka_updates_total{kind="command",outcome="ok"} 3`,
		`voronka_updates_total{kind="button",outcome="ok"} 4`,
		`voronka_update_duration_seconds_bucket{kind="text"`,
		`voronka_messages_total{channel="telegram",outcome="sent"}`,
		`voronka_leads_qualified_total{temperature="hot"} 1`,
		`go_goroutines`,
	} {
		require.Contains(t, body, want)
	}
}

// TestGracefulStop: a stop (SIGTERM cancels the same context) during a
// burst of updates loses none of them: each was either answered 200, and
// is stored, or refused, and Telegram delivers it again to the next
// process, which stores it.
func TestGracefulStop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.app.Serve(ctx, ln) }()
	addr := "http://" + ln.Addr().String() + "/telegram/webhook"

	const n = 60
	type result struct {
		body []byte
		ok   bool
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := telegramtest.Text(int64(10_000+i), int64(10_000+i), "/start s-burst")
			u.UpdateID = 50_000 + i
			body, _ := json.Marshal(u)
			results[i].body = body
			time.Sleep(time.Duration(i) * 2 * time.Millisecond) // a burst over ~120ms
			req, _ := http.NewRequest(http.MethodPost, addr, bytes.NewReader(body))
			req.Header.Set(telegram.SecretHeader, webhookSecret)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				answer, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				// As Telegram does: the call in a 200's body is made.
				results[i].ok = rerr == nil && resp.StatusCode == http.StatusOK && b.tg.WebhookAnswer(answer) == nil
			}
		}()
	}
	time.Sleep(60 * time.Millisecond)
	cancel() // the stop arrives mid-burst
	stopped := time.Now()
	wg.Wait()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(25 * time.Second):
		t.Fatal("the process did not stop within 25 seconds")
	}
	require.Less(t, time.Since(stopped), 25*time.Second)

	// Telegram redelivers what was not acknowledged to the next process.
	b.start()
	acked := 0
	for _, r := range results {
		if r.ok {
			acked++
			continue
		}
		require.Equal(t, http.StatusOK, b.postRaw(r.body, webhookSecret))
	}
	t.Logf("%d of %d acknowledged before the stop", acked, n)
	require.Equal(t, n, b.count(`SELECT count(*) FROM leads WHERE source = 'burst'`), "every update stored once")
	for i := range n {
		require.Len(t, b.tg.Sent(int64(10_000+i)), 1, fmt.Sprintf("chat %d answered once", 10_000+i))
	}
}
