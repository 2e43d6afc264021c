package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The gate is what one customer update needs from Redis, folded into as few
// round trips as the order of events allows. Before it, an update cost six
// round trips here (mark the update, take the chat's lock, read the
// session, write the session, release the lock, mark the update done); on a
// two-core machine running the databases too, each round trip costs more
// CPU in system calls than the dialogue logic itself. Now it costs two,
// the reply's rate-limit reservation included:
//
//	Enter   one script: is the update new? mark it "in hand", take the
//	        chat's lock, and take the session out of Redis (GETDEL)
//	Commit  one script: put the new session back, mark the update done
//	        and let go of the lock (CommitReserveRelease: and reserve
//	        the reply's rate-limit slots)
//
// (Commit and Release are still there apart, for callers that hold the
// chat while they reply.) The script calls of concurrent updates go to
// Redis together as pipelines, two at most in flight (group.go).
//
// Taking the session out, rather than reading it, is what makes a crash
// harmless: if the replica dies mid-update, the chat has no session, and
// the next update rebuilds it from PostgreSQL, which holds every answer.
// A session left in place could be older than PostgreSQL.
//
// The update is marked done before its replies are sent: a replica killed
// after Commit never has its update handled a second time. The price is
// that such a replica's replies can be lost (the customer's next message,
// or the follow-up nudge, asks the question again) rather than repeated:
// the Bot API has no idempotency key, so one of the two must be chosen,
// and a message sent twice cannot be taken back. The lock serialises the
// handling of a chat's updates; the replies' order needs no lock, because
// Telegram delivers a chat's next update only after this one's 200, which
// comes after its replies (bot.Dispatcher.Handle).
//
// The lock and the "in hand" mark are leases: they expire after the lease
// unless renewed, and a Turn renews them every third of it while the
// update is being handled, however long that takes (a 429 waited out, a
// slow database). So a live replica never loses its chat, and a dead one
// blocks its chats and updates for one lease at most.
//
// Every script touches the keys of one update and one chat; on a Redis
// Cluster they would need a common hash tag, which single-node Redis (what
// REDIS_URL names) does not.

// enterScript: KEYS update mark, chat lock, session; ARGV token, lease in
// ms, "1" when the update has an id. Answers {"done"}, {"working"},
// {"busy"} (marked, but the chat is locked elsewhere) or {"ok", session?}.
var enterScript = goredis.NewScript(`
if ARGV[3] == "1" then
  local mark = redis.call("GET", KEYS[1])
  if mark then
    if string.sub(mark, 1, 1) == "d" then return {"done"} end
    return {"working"}
  end
  redis.call("SET", KEYS[1], "w:" .. ARGV[1], "PX", ARGV[2])
end
if not redis.call("SET", KEYS[2], ARGV[1], "NX", "PX", ARGV[2]) then
  return {"busy"}
end
local s = redis.call("GETDEL", KEYS[3])
if s then return {"ok", s} end
return {"ok"}`)

// lockScript takes the chat's lock and the session once the holder before
// us let go. KEYS lock, session; ARGV token, lease in ms.
var lockScript = goredis.NewScript(`
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return {"busy"}
end
local s = redis.call("GETDEL", KEYS[2])
if s then return {"ok", s} end
return {"ok"}`)

// commitLua puts the session back and marks the update done. A turn
// that lost its lock (expired, or Redis was flushed) may be older than
// whatever holds the chat now, so it drops the session instead of writing
// it: the next update rebuilds it from PostgreSQL. With ARGV[7] = "1" it
// also lets go of the lock, as releaseScript does (Turn.CommitRelease).
// KEYS update mark, lock, session; ARGV token, session, session TTL ms,
// keep ms, "1" with an update id, "1" to drop the session, "1" to release.
const commitLua = `
local mine = redis.call("GET", KEYS[2]) == ARGV[1]
if ARGV[6] == "1" or not mine then
  redis.call("DEL", KEYS[3])
else
  redis.call("SET", KEYS[3], ARGV[2], "PX", ARGV[3])
end
if ARGV[5] == "1" then
  redis.call("SET", KEYS[1], "d", "PX", ARGV[4])
end
if ARGV[7] == "1" and mine then
  redis.call("DEL", KEYS[2])
end`

var commitScript = goredis.NewScript(commitLua + "\nreturn 1")

// commitReserveScript is the commit and then reserveLua in one round
// trip: the update's replies go out right after its commit, so their
// rate-limit slots are reserved with it (see Turn.CommitReserveRelease). KEYS
// and ARGV are commitLua's, then the buckets' keys and their (interval,
// burst, slots).
var commitReserveScript = goredis.NewScript(commitLua + "\nlocal k0, a0 = 3, 7" + reserveLua)

// releaseScript lets go of the lock, and with ARGV[2] = "1" (an update that
// failed) of the update's mark, so that Telegram's redelivery is handled.
// Only our own token is removed: an expired lease may be someone else's
// by now. KEYS update mark, lock; ARGV token, unmark.
var releaseScript = goredis.NewScript(`
if redis.call("GET", KEYS[2]) == ARGV[1] then redis.call("DEL", KEYS[2]) end
if ARGV[2] == "1" and redis.call("GET", KEYS[1]) == "w:" .. ARGV[1] then redis.call("DEL", KEYS[1]) end
return 1`)

// renewScript extends our lock and our "in hand" mark by a lease. KEYS
// update mark, lock; ARGV token, lease in ms.
var renewScript = goredis.NewScript(`
if redis.call("GET", KEYS[2]) == ARGV[1] then redis.call("PEXPIRE", KEYS[2], ARGV[2]) end
if redis.call("GET", KEYS[1]) == "w:" .. ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 1`)

// Turn is one update's hold on its chat, from Enter to Release.
type Turn struct {
	s       *Store
	hasID   bool
	keys    []string // update mark, lock, session
	token   string
	lease   time.Duration
	session []byte
	status  string // "ok", "done", "working"
	// released: the commit let go of the lock (CommitReserveRelease).
	released bool

	mu      sync.Mutex
	renewal *time.Timer
	stopped bool
}

// Enter admits update updateID of chatID (updateID 0: an update without
// an id, never de-duplicated). Unless the update was handled before
// (Duplicate) or is in hand on another replica (InProgress), it waits for
// the chat's lock, up to ctx's end, and takes the chat's session out of
// Redis. The caller must Release an admitted Turn, Commit first if it
// succeeded.
func (s *Store) Enter(ctx context.Context, updateID, chatID int64, lease time.Duration) (*Turn, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("enter update %d: %w", updateID, err)
	}
	chat := strconv.FormatInt(chatID, 10)
	t := &Turn{
		s:     s,
		hasID: updateID != 0,
		keys:  []string{s.key("upd", strconv.FormatInt(updateID, 10)), s.key("lock", "chat:"+chat), s.key("sess", chat)},
		token: hex.EncodeToString(raw[:]),
		lease: max(lease, 3*time.Millisecond),
	}
	hasID := "0"
	if t.hasID {
		hasID = "1"
	}
	res, err := s.scripts.run(ctx, enterScript, t.keys, t.token, t.lease.Milliseconds(), hasID).Slice()
	if err != nil {
		return nil, fmt.Errorf("enter update %d: %w", updateID, err)
	}
	status, session := scriptAnswer(res)
	if status == "done" || status == "working" {
		t.status = status
		return t, nil
	}
	t.renew()
	pause := time.Millisecond
	for status == "busy" {
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			t.Abort(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("enter update %d: chat %d: %w", updateID, chatID, errors.Join(ctx.Err(), errLockBusy))
		case <-timer.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
		res, err := lockScript.Run(ctx, s.rdb, t.keys[1:], t.token, t.lease.Milliseconds()).Slice()
		if err != nil {
			t.Abort(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("enter update %d: %w", updateID, err)
		}
		status, session = scriptAnswer(res)
	}
	t.status, t.session = "ok", session
	return t, nil
}

var errLockBusy = errors.New("the chat is locked elsewhere")

// scriptAnswer reads a script's {status, value?}.
func scriptAnswer(res []any) (status string, value []byte) {
	if len(res) > 0 {
		status, _ = res[0].(string)
	}
	if len(res) > 1 {
		if v, ok := res[1].(string); ok {
			value = []byte(v)
		}
	}
	return status, value
}

// Duplicate reports that the update was handled before, by any replica.
func (t *Turn) Duplicate() bool { return t.status == "done" }

// InProgress reports that another replica has the update in hand now; the
// channel should deliver it again later rather than be told it is done.
func (t *Turn) InProgress() bool { return t.status == "working" }

// Session is the chat's session as taken out of Redis, nil when there was
// none (new chat, expired, flushed, or a replica died holding it).
func (t *Turn) Session() []byte { return t.session }

// Commit stores session for sessionTTL (nil drops it) and marks the update
// done for keep. The lock stays held until Release.
func (t *Turn) Commit(ctx context.Context, session []byte, sessionTTL, keep time.Duration) error {
	err := t.s.scripts.run(ctx, commitScript, t.keys, t.commitArgs(session, sessionTTL, keep, false)...).Err()
	if err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}

func (t *Turn) commitArgs(session []byte, sessionTTL, keep time.Duration, release bool) []any {
	drop, hasID, rel := "0", "0", "0"
	if session == nil {
		drop = "1"
	}
	if t.hasID {
		hasID = "1"
	}
	if release {
		rel = "1"
	}
	return []any{t.token, session, sessionTTL.Milliseconds(), keep.Milliseconds(), hasID, drop, rel}
}

// CommitReserveRelease is Commit, Store.ReserveAll of buckets and the
// chat's release in one round trip: the update's replies go out right
// after it, and their order needs no lock (bot.Dispatcher.Handle), so an
// update costs two round trips here. Commit, reservation and release all
// happen or, if the script fails, none does. Release after it only ends
// the turn.
func (t *Turn) CommitReserveRelease(ctx context.Context, session []byte, sessionTTL, keep time.Duration, buckets []Bucket) ([][]time.Duration, error) {
	keys, args, idx := t.s.bucketArgs(buckets)
	keys = append(slices.Clip(t.keys), keys...)
	args = append(t.commitArgs(session, sessionTTL, keep, true), args...)
	waits, err := t.s.scripts.run(ctx, commitReserveScript, keys, args...).Int64Slice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("commit update: %w", err)
	}
	t.stopRenewal()
	t.released = true
	return spreadWaits(buckets, idx, waits), nil
}

// Release lets go of the chat's lock. Use it after Commit; after a failure
// use Abort, which also unmarks the update.
func (t *Turn) Release(ctx context.Context) error { return t.release(ctx, false) }

// Abort releases the lock and unmarks the update, so that a redelivery is
// handled. The session stays out of Redis, so the next update rebuilds it
// from PostgreSQL, whatever this one did before it failed.
func (t *Turn) Abort(ctx context.Context) error { return t.release(ctx, true) }

func (t *Turn) release(ctx context.Context, unmark bool) error {
	t.stopRenewal()
	if (t.status != "ok" || t.released) && !unmark {
		return nil
	}
	flag := "0"
	if unmark && t.hasID {
		flag = "1"
	}
	// A fresh context: the caller's may be done, and the lock must go.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := t.s.scripts.run(ctx, releaseScript, t.keys[:2], t.token, flag).Err(); err != nil {
		return fmt.Errorf("release update: %w", err)
	}
	return nil
}

// renew keeps the lease alive every third of it until the turn ends.
func (t *Turn) renew() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.renewal = time.AfterFunc(t.lease/3, func() {
		ctx, cancel := context.WithTimeout(context.Background(), t.lease/3)
		// A failed renewal is not fatal: the next one may work, and the
		// lease still has two thirds to run.
		_ = renewScript.Run(ctx, t.s.rdb, t.keys[:2], t.token, t.lease.Milliseconds()).Err()
		cancel()
		t.renew()
	})
}

func (t *Turn) stopRenewal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.renewal != nil {
		t.renewal.Stop()
	}
}
