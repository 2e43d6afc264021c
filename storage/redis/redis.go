// Package redis keeps what Voronka can rebuild from PostgreSQL: the live
// position of each dialogue, the Telegram update ids already handled, the
// shared rate-limit buckets and short locks. Losing all of it loses no
// customer data; it costs a replay from PostgreSQL.
package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// Open connects to the Redis at url (redis://host:port/db) and pings it.
//
// Every command keeps its caller's deadline: go-redis by default ignores
// the context's deadline on the socket and waits out its own read, write
// and dial timeouts (5s each), so a Redis that stops answering (a
// blackholed connection) held a 2s readiness check or a request with a
// 10s budget for as long as those. With ContextTimeoutEnabled the
// earlier of the context's deadline and those timeouts applies, to the
// wait for a pooled connection too.
func Open(ctx context.Context, url string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	opt.ContextTimeoutEnabled = true
	rdb := goredis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("ping redis: %w", err)
	}
	return rdb, nil
}

// Store groups the Redis-backed parts under one key prefix, so tests and
// several deployments can share one Redis.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	// scripts sends the gate's script calls of concurrent updates
	// together (group.go).
	scripts *scriptGroup
}

// New returns a Store whose keys all start with prefix (e.g. "voronka:").
func New(rdb goredis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, scripts: newScriptGroup(rdb, scriptSenders)}
}

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// Ping checks that Redis answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
