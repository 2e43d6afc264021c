package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
	"github.com/voronka/voronka/storage/redis/redistest"
)

// blackhole stands between the App and a server (PostgreSQL, Redis) and
// can be switched to swallow traffic: connections stay open, what is sent
// is read and dropped, nothing ever comes back, and new connections are
// accepted and treated the same. That is a network partition or a server
// frozen mid-answer, which a refused connection (tcpProxy.stop) is not:
// only deadlines end the wait.
type blackhole struct {
	target  string
	addr    string
	swallow atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	p := &blackhole{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	go p.serve(ln)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *blackhole) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		if p.swallow.Load() {
			go io.Copy(io.Discard, c)
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(up)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies src to dst while the proxy forwards, and drops what src
// sends while it swallows.
func (p *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.swallow.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *blackhole) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

// cut closes every connection through the proxy.
func (p *blackhole) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// blackhole starts swallowing.
func (p *blackhole) blackhole() { p.swallow.Store(true) }

// heal ends the partition: the connections that lived through it have
// lost bytes, so they are cut (as a peer's reset would), and new ones are
// forwarded again.
func (p *blackhole) heal() {
	p.swallow.Store(false)
	p.cut()
}

// blackholedDB opens a migrated database of the test's own schema through
// a blackhole proxy.
func blackholedDB(t *testing.T) (*postgres.DB, *blackhole) {
	t.Helper()
	var proxy *blackhole
	db := dbThrough(t, 4, func(target string) string {
		proxy = newBlackhole(t, target)
		return proxy.addr
	})
	return db, proxy
}

// dbThrough opens a migrated database of the test's own schema through a
// proxy that via starts in front of the server's address and names.
func dbThrough(t *testing.T, maxConns int32, via func(target string) string) *postgres.DB {
	t.Helper()
	migrated := postgrestest.NewDB(t)
	var schema string
	require.NoError(t, migrated.Pool.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema))
	u, err := url.Parse(postgrestest.URL(t))
	require.NoError(t, err)
	u.Host = via(u.Host)
	cfg, err := postgres.ParseConfig(u.String())
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = maxConns
	db, err := postgres.OpenConfig(context.Background(), cfg, postgrestest.Logger(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

// timedGet is get with the time the answer took.
func timedGet(t *testing.T, url string) (int, string, time.Duration) {
	t.Helper()
	start := time.Now()
	status, body := get(t, url)
	return status, body, time.Since(start)
}

// TestReadyzBlackholedDependencies: with PostgreSQL, then Redis, then both
// swallowing traffic, /readyz answers 503 within its deadline (plus a
// generous second: this is a bound, not a speed target), and its body
// names the failed dependency and nothing else: no host, port, database
// or user.
func TestReadyzBlackholedDependencies(t *testing.T) {
	t.Parallel()
	db, pg := blackholedDB(t)
	ru, err := url.Parse(redistest.URL())
	require.NoError(t, err)
	rd := newBlackhole(t, ru.Host)
	ru.Host = rd.addr

	b := setup(t)
	b.srv.Close()
	b.app.Close()
	b.db = db
	// The App opens Redis itself, through the proxy, as serve does.
	b.env["REDIS_URL"] = ru.String()
	cfg, err := LoadConfig(func(k string) string { return b.env[k] })
	require.NoError(t, err)
	cfg.RedisPrefix = b.prefix
	app, err := NewApp(context.Background(), cfg, postgrestest.Logger(t), Deps{DB: db, Sleep: b.slept.sleep})
	require.NoError(t, err)
	t.Cleanup(app.Close)
	srv := newServer(t, app)

	status, body, _ := timedGet(t, srv+"/readyz")
	require.Equal(t, http.StatusOK, status, body)

	bound := readyTimeout + time.Second
	check := func(want string) {
		t.Helper()
		status, body, took := timedGet(t, srv+"/readyz")
		require.Equal(t, http.StatusServiceUnavailable, status)
		require.Equal(t, want, body)
		require.Less(t, took, bound, "readyz must answer by its deadline")
		for _, secret := range []string{pg.addr, rd.addr, "127.0.0.1", "postgres://", "user", "database", "dial", "timeout"} {
			require.NotContains(t, body, secret)
		}
	}

	pg.blackhole()
	check("postgres: unavailable\n")
	pg.heal()
	b.waitFor(func() bool { s, _, _ := timedGet(t, srv+"/readyz"); return s == http.StatusOK })

	rd.blackhole()
	check("redis: unavailable\n")

	pg.blackhole()
	check("postgres: unavailable\nredis: unavailable\n")

	pg.heal()
	rd.heal()
	b.waitFor(func() bool { s, _, _ := timedGet(t, srv+"/readyz"); return s == http.StatusOK })
}

// newServer serves app's handler for the test and returns its URL.
func newServer(t *testing.T, app *App) string {
	t.Helper()
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// onBlackholedDB is an App whose PostgreSQL goes through a blackhole
// proxy, with http.request_timeout 1s (extra is more of the config).
func onBlackholedDB(t *testing.T, extra string, env map[string]string, clock crm.Clock) (*bundle, *blackhole) {
	t.Helper()
	db, pg := blackholedDB(t)
	b := setupWithDeps(t, "http:\n  request_timeout: 1s\n"+extra, env, clock)
	b.srv.Close()
	b.app.Close()
	b.db = db
	b.start()
	// Runs first: whatever hangs on the proxy (a request without a
	// deadline) is let go, so that the server can close.
	t.Cleanup(pg.heal)
	return b, pg
}

// timedPost delivers u to the webhook and says how it went and how long
// it took; a client timeout well past the deadline turns a hang into a
// failure.
func (b *bundle) timedPost(u tgbotapi.Update) (int, time.Duration) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/telegram/webhook", bytes.NewReader(b.updateBody(u)))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telegram.SecretHeader, webhookSecret)
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	took := time.Since(start)
	require.NoError(b.t, err, "no answer after %s", took)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		require.NoError(b.t, b.tg.WebhookAnswer(answer))
	}
	return resp.StatusCode, took
}

// requestBound is how long a request may take with http.request_timeout
// 1s: the deadline plus a generous second (a bound, not a speed target).
const requestBound = 2 * time.Second

// TestNewCustomerFailsAtTheDeadline: while PostgreSQL swallows traffic, a
// new customer's /start (the contact look-up and upsert come first) fails
// with a 5xx at http.request_timeout instead of hanging; once the network
// heals, Telegram's redelivery of the same update is handled.
func TestNewCustomerFailsAtTheDeadline(t *testing.T) {
	t.Parallel()
	b, pg := onBlackholedDB(t, "", nil, nil)
	const chat = 7301
	u := telegramtest.Text(chat, chat, "/start")
	u.UpdateID = int(b.nextID.Add(1))

	pg.blackhole()
	status, took := b.timedPost(u)
	require.GreaterOrEqual(t, status, 500)
	require.Less(t, took, requestBound)
	require.Empty(t, b.tg.Sent(chat))

	pg.heal()
	b.waitFor(func() bool { s, _ := get(t, b.srv.URL+"/readyz"); return s == http.StatusOK })
	status, _ = b.timedPost(u)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM contacts WHERE telegram_user_id = $1`, chat))
	require.NotEmpty(t, b.tg.Sent(chat), "the redelivered /start is answered")
}

// TestTeamCommandEndsAtTheDeadline: a manager's /stats in the bot's chat
// while PostgreSQL swallows traffic is answered (an apology) or failed
// (Telegram redelivers) within http.request_timeout, never held; once
// the network heals the command works.
func TestTeamCommandEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	b, pg := onBlackholedDB(t, teamConfig, nil, nil)
	const anna = 9001

	pg.blackhole()
	status, took := b.timedPost(telegramtest.Text(anna, anna, "/stats"))
	require.Less(t, took, requestBound)
	if status == http.StatusOK {
		require.Contains(t, b.lastText(anna), "went wrong")
	} else {
		require.GreaterOrEqual(t, status, 500)
	}

	pg.heal()
	b.waitFor(func() bool { s, _ := get(t, b.srv.URL+"/readyz"); return s == http.StatusOK })
	before := len(b.tg.Sent(anna))
	status, _ = b.timedPost(telegramtest.Text(anna, anna, "/stats"))
	require.Equal(t, http.StatusOK, status)
	require.Greater(t, len(b.tg.Sent(anna)), before)
	require.NotContains(t, b.lastText(anna), "went wrong")
}

// TestSlackPressEndsAtTheDeadline: a rep's Claim on a card while
// PostgreSQL swallows traffic is answered within http.request_timeout
// (the rep is told it failed) instead of holding the request; nothing is
// claimed, and once the network heals a press claims the lead.
func TestSlackPressEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	b, pg := onBlackholedDB(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, clock)
	b.serving(clock)
	const chat = 7302
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	post := waitCalls(t, sl, "chat.postMessage", 1)[0]

	press := func(user string) (int, time.Duration) {
		p, ok := post.Press(user, "claim")
		require.True(t, ok)
		body := p.Body()
		req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/interactions", bytes.NewReader(body))
		require.NoError(t, err)
		for k, v := range slack.Sign(slackSecret, body, clock.Now()) {
			req.Header[k] = v
		}
		start := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		took := time.Since(start)
		require.NoError(t, err, "no answer after %s", took)
		resp.Body.Close()
		return resp.StatusCode, took
	}

	pg.blackhole()
	_, took := press("UBORIS")
	require.Less(t, took, requestBound)

	pg.heal()
	b.waitFor(func() bool { s, _ := get(t, b.srv.URL+"/readyz"); return s == http.StatusOK })
	require.Equal(t, "qualified", b.stage(leadID))
	status, _ := press("UVERA")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Vera", b.owner(leadID))
}
