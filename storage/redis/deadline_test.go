package redis_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/redis"
	"github.com/voronka/voronka/storage/redis/redistest"
)

// TestCommandsKeepTheirDeadline: once Redis stops answering (a proxy that
// swallows everything, as a partition does), a command returns at its
// context's deadline, not after go-redis's own 5s read timeout, both on
// a pooled connection and on a new one (the pool holds one; a second
// command at once needs another).
func TestCommandsKeepTheirDeadline(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(redistest.URL())
	require.NoError(t, err)
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var (
		swallow atomic.Bool
		mu      sync.Mutex
		conns   []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			if n > 0 && !swallow.Load() {
				dst.Write(buf[:n])
			}
			if err != nil {
				dst.Close()
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			if swallow.Load() {
				go io.Copy(io.Discard, c)
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			track(up)
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	u.Host = ln.Addr().String()
	rdb, err := redis.Open(context.Background(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { rdb.Close() })
	s := redis.New(rdb, "deadline:")

	swallow.Store(true)
	const deadline = 300 * time.Millisecond
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		errs := make(chan error, 2)
		go func() { errs <- s.Ping(ctx) }()
		go func() { errs <- s.Ping(ctx) }()
		require.Error(t, <-errs)
		require.Error(t, <-errs)
		took := time.Since(start)
		cancel()
		require.Less(t, took, deadline+time.Second, "ping %d took %s", i, took)
	}
}
