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
	wait, err := reserveScript.Run(ctx, s.rdb, []string{s.key("rate", key)}, interval(perSecond), burst).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserve %s: %w", key, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// reserveLua is reserveScript over several buckets and several slots of
// each: the keys after the first k0, each with three arguments after the
// first a0 (emission interval in µs, burst, slots); k0 and a0 are Lua
// locals the script sets first. It answers every slot's wait, bucket
// after bucket. Alone it is ReserveAll; after commitLua it is
// Turn.CommitReserveRelease.
const reserveLua = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
for i = k0 + 1, #KEYS do
  local a = a0 + 3 * (i - k0 - 1)
  local interval = tonumber(ARGV[a + 1])
  local burst = tonumber(ARGV[a + 2])
  local n = tonumber(ARGV[a + 3])
  local tat = tonumber(redis.call("GET", KEYS[i]) or "0")
  if tat < now then tat = now end
  for _ = 1, n do
    local wait = tat - now - (burst - 1) * interval
    if wait < 0 then wait = 0 end
    out[#out + 1] = wait
    tat = tat + interval
  end
  redis.call("SET", KEYS[i], tat, "PX", math.ceil((tat - now) / 1000) + 1000)
end
return out`

// reserveAllScript: KEYS the buckets; ARGV per bucket its interval, burst
// and slots (see ReserveAll).
var reserveAllScript = goredis.NewScript("local k0, a0 = 0, 0" + reserveLua)

// ReserveAll takes b.N slots from each bucket in one round trip, with
// Reserve's semantics for each slot. It satisfies bot.BatchLimiter, which
// the Telegram sender uses to reserve everything one update's replies need
// at once.
func (s *Store) ReserveAll(ctx context.Context, buckets []Bucket) ([][]time.Duration, error) {
	keys, args, idx := s.bucketArgs(buckets)
	if len(keys) == 0 {
		return spreadWaits(buckets, idx, nil), nil
	}
	waits, err := reserveAllScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("reserve: %w", err)
	}
	return spreadWaits(buckets, idx, waits), nil
}

// bucketArgs are the keys and arguments of reserveAllScript for buckets,
// and which bucket each key is (buckets without a limit take no key).
func (s *Store) bucketArgs(buckets []Bucket) (keys []string, args []any, idx []int) {
	for i, b := range buckets {
		if b.PerSecond <= 0 || b.N <= 0 {
			continue // no limit: every wait is zero
		}
		keys = append(keys, s.key("rate", b.Key))
		args = append(args, interval(b.PerSecond), max(b.Burst, 1), b.N)
		idx = append(idx, i)
	}
	return keys, args, idx
}

// spreadWaits hands the script's waits (bucket after bucket, the buckets
// of idx only) back to each bucket's slots; the others wait nothing.
func spreadWaits(buckets []Bucket, idx []int, waits []int64) [][]time.Duration {
	out := make([][]time.Duration, len(buckets))
	for i, b := range buckets {
		out[i] = make([]time.Duration, max(b.N, 0))
	}
	k := 0
	for _, i := range idx {
		for j := range out[i] {
			if k < len(waits) {
				out[i][j] = time.Duration(waits[k]) * time.Microsecond
			}
			k++
		}
	}
	return out
}

// Bucket is one rate limit of ReserveAll (the same fields as bot.Bucket,
// which the bot package converts from).
type Bucket struct {
	Key       string
	PerSecond float64
	Burst     int
	N         int
}

// interval is the emission interval of a rate in µs, at least 1.
func interval(perSecond float64) int64 {
	return max(int64(1e6/perSecond), 1)
}
