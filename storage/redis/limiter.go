package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// reserveScript is GCRA (the generic cell rate algorithm) with reservation:
// every call takes a slot, and the answer is how long the caller must wait
// for it. The bucket is a single key holding the theoretical arrival time in
// microseconds of Redis's own clock, so every replica shares one clock and
// one bucket.
//
// KEYS[1] bucket; ARGV[1] emission interval (µs); ARGV[2] burst.
var reserveScript = goredis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then tat = now end
local wait = tat - now - (burst - 1) * interval
if wait < 0 then wait = 0 end
local newtat = tat + interval
redis.call("SET", KEYS[1], newtat, "PX", math.ceil((newtat - now) / 1000) + 1000)
return wait`)

// Reserve takes one slot from the bucket key, refilled at perSecond with the
// given burst, and says how long to wait before using it. It satisfies
// bot.Limiter across every replica that shares the Redis.
func (s *Store) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	if burst < 1 {
		burst = 1
	}
	interval := int64(1e6 / perSecond)
	if interval < 1 {
		interval = 1
	}
	wait, err := reserveScript.Run(ctx, s.rdb, []string{s.key("rate", key)}, interval, burst).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserve %s: %w", key, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}
