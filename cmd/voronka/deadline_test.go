package main

import (
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

	"github.com/stretchr/testify/require"

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
	migrated := postgrestest.NewDB(t)
	var schema string
	require.NoError(t, migrated.Pool.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema))
	u, err := url.Parse(postgrestest.URL(t))
	require.NoError(t, err)
	proxy := newBlackhole(t, u.Host)
	u.Host = proxy.addr
	cfg, err := postgres.ParseConfig(u.String())
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	db, err := postgres.OpenConfig(context.Background(), cfg, postgrestest.Logger(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db, proxy
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
