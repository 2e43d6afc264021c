package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// inFlightFor bounds how long a call admitted to a window but never marked
// done (its process died mid-call) keeps its place: longer than any
// client's timeout (the Telegram client gives up after 35s), so a slow
// call is never forgotten while it may still reach the server.
const inFlightFor = time.Minute

// admitScript keeps a sliding-window log of calls in a sorted set, scored
// by Redis's own clock in µs. An entry's score is when the call finished
// (Done); a call still in flight is scored inFlightFor ahead, so it counts
// until it finishes and for a whole window after that.
//
// Why finished and not started: the server counts a call when it arrives,
// somewhere between our admission and the answer. Counting each call over
// [admitted, finished + window] covers every moment the server may have
// counted it, so if fewer than limit entries are live when a call is
// admitted, no window of the server's can hold more than limit, however
// late a descheduled worker sends what it was admitted for. Stamping the
// admission alone (the earlier design) let a worker that stalled between
// admission and request crowd a second past the limit.
//
// KEYS[1] log; ARGV[1] limit; ARGV[2] window (µs); ARGV[3] a unique
// member; ARGV[4] in-flight allowance (µs). Returns 0 when admitted, else
// the µs to wait before asking again.
var admitScript = goredis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local flight = tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) < limit then
  redis.call("ZADD", KEYS[1], now + flight, ARGV[3])
  redis.call("PEXPIRE", KEYS[1], math.ceil((window + flight) / 1000) * 2)
  return 0
end
local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
local wait = tonumber(oldest[2]) + window - now
if tonumber(oldest[2]) > now then
  -- every live entry is still in flight: ask again shortly
  wait = 5000
end
if wait < 1 then wait = 1 end
return wait`)

// doneScript stamps a call's entry with the moment it finished (Redis's
// clock plus ARGV[2] µs, for a call carried out after this moment), if
// the entry is still in the log.
var doneScript = goredis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[2]), ARGV[1])
return 0`)

// Admit admits one call to the sliding window key (at most limit calls
// live in any window) and returns the call's ticket, or says how long to
// wait before asking again. The caller passes the ticket to Done when the
// call has finished, whatever its outcome. It satisfies bot.WindowLimiter
// across every replica sharing the Redis.
func (s *Store) Admit(ctx context.Context, key string, limit int, window time.Duration) (string, time.Duration, error) {
	if limit <= 0 || window <= 0 {
		return "", 0, nil
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	ticket := hex.EncodeToString(raw[:])
	wait, err := admitScript.Run(ctx, s.rdb, []string{s.key("window", key)},
		limit, window.Microseconds(), ticket, inFlightFor.Microseconds()).Int64()
	if err != nil {
		return "", 0, fmt.Errorf("admit %s: %w", key, err)
	}
	if wait > 0 {
		return "", time.Duration(wait) * time.Microsecond, nil
	}
	return ticket, 0, nil
}

// Done marks the call of ticket finished: from now on it counts for one
// more window, then leaves the log. An empty ticket is a no-op.
func (s *Store) Done(ctx context.Context, key, ticket string) error {
	return s.DoneAfter(ctx, key, ticket, 0)
}

// DoneAfter is Done for a call that is carried out up to after later
// than this moment: it counts for one more window from now+after (bot's
// LateWindowLimiter).
func (s *Store) DoneAfter(ctx context.Context, key, ticket string, after time.Duration) error {
	if ticket == "" {
		return nil
	}
	if err := doneScript.Run(ctx, s.rdb, []string{s.key("window", key)}, ticket, max(after, 0).Microseconds()).Err(); err != nil {
		return fmt.Errorf("finish %s: %w", key, err)
	}
	return nil
}
