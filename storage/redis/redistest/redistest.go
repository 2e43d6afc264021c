// Package redistest gives each test its own key prefix on the real Redis
// named by REDIS_URL (default redis://127.0.0.1:6379/0), so tests run in
// parallel without seeing each other's keys.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/voronka/voronka/storage/redis"
)

// URL is the Redis the tests use.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// NewStore returns a Store under a fresh prefix, its client, and removes the
// prefix's keys when the test ends.
func NewStore(tb testing.TB) (*redis.Store, *goredis.Client, string) {
	tb.Helper()
	ctx := context.Background()
	rdb, err := redis.Open(ctx, URL())
	if err != nil {
		tb.Fatalf("redis at %s: %v", URL(), err)
	}
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	prefix := "test:" + hex.EncodeToString(raw[:]) + ":"
	tb.Cleanup(func() {
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return redis.New(rdb, prefix), rdb, prefix
}
