package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// admitScript is a sliding-window log: the moments of the calls admitted in
// the last window, in a sorted set scored by Redis's own clock in µs. A
// call is admitted (and logged) only while fewer than limit are in the
// window; otherwise the answer is how long until the oldest leaves it.
// Unlike a token bucket, whose slots are reserved ahead and may be used a
// little late, the log records when a call really goes, so a late call
// never lets the next ones crowd one second: that is how Telegram counts.
//
// KEYS[1] log; ARGV[1] limit; ARGV[2] window (µs); ARGV[3] a unique member.
var admitScript = goredis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) < limit then
  redis.call("ZADD", KEYS[1], now, ARGV[3])
  redis.call("PEXPIRE", KEYS[1], math.ceil(window / 1000) * 2)
  return 0
end
local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait`)

// Admit admits one call to the sliding window key (at most limit in any
// window) and returns 0, or says how long to wait before asking again. It
// satisfies bot.WindowLimiter across every replica sharing the Redis.
func (s *Store) Admit(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	if limit <= 0 || window <= 0 {
		return 0, nil
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	wait, err := admitScript.Run(ctx, s.rdb, []string{s.key("window", key)}, limit, window.Microseconds(), hex.EncodeToString(raw[:])).Int64()
	if err != nil {
		return 0, fmt.Errorf("admit %s: %w", key, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}
