package bot

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter is a rate limit shared by every replica (implemented over Redis
// elsewhere). Reserve takes one token from the bucket named key that refills
// at perSecond with the given burst and returns how long the caller must wait
// before acting (0 = now).
//
// A reservation is a promise: the token is taken even when the caller has to
// wait, so callers that are told to wait must wait and then act, not ask
// again. That is what lets many replicas share one bucket without a queue.
type Limiter interface {
	Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error)
}

// Bucket is one rate limit to take N slots from: the bucket named Key,
// refilled at PerSecond with the given Burst, as in Limiter.Reserve.
type Bucket struct {
	Key       string
	PerSecond float64
	Burst     int
	N         int
}

// BatchLimiter is a Limiter that takes slots from several buckets in one
// call. Over a shared limiter that is one round trip instead of one per
// slot: a button press answered with an edit and the next question takes
// three slots from the bot's bucket and two from the chat's, five round
// trips before, one now. The answer holds each bucket's waits in order,
// one per slot; like Reserve's, every slot is taken, waited for or not.
type BatchLimiter interface {
	Limiter
	ReserveAll(ctx context.Context, buckets []Bucket) ([][]time.Duration, error)
}

// LocalLimiter is a Limiter for one process: a token bucket per key behind a
// mutex. It is what `voronka chat`, single-replica setups and tests use; with
// several replicas each would spend the whole budget, so they need the shared
// one.
type LocalLimiter struct {
	now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*localBucket
	lastSweep time.Time
}

// localBucket holds tokens as of at. Tokens go negative when reservations
// run ahead of the refill; the deficit is the queue of callers waiting.
type localBucket struct {
	tokens    float64
	at        time.Time
	perSecond float64
	burst     float64
}

// sweepEvery bounds how often idle buckets are dropped, so one bucket per
// chat does not grow the map for the life of the process.
const sweepEvery = time.Minute

var _ BatchLimiter = (*LocalLimiter)(nil)

// NewLocalLimiter returns a LocalLimiter reading time from now; nil means
// time.Now. Tests pass a fake clock so that waits are computed, not slept.
func NewLocalLimiter(now func() time.Time) *LocalLimiter {
	if now == nil {
		now = time.Now
	}
	return &LocalLimiter{now: now, buckets: make(map[string]*localBucket)}
}

// Reserve implements Limiter. A perSecond of zero or less means no limit; a
// burst below one is taken as one, since a bucket that can never hold a
// whole token would never let anyone through.
func (l *LocalLimiter) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if perSecond <= 0 || math.IsInf(perSecond, 1) || math.IsNaN(perSecond) {
		return 0, nil
	}
	capacity := float64(max(burst, 1))

	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	l.sweep(now)

	b, ok := l.buckets[key]
	if !ok {
		b = &localBucket{tokens: capacity, at: now}
		l.buckets[key] = b
	}
	b.perSecond, b.burst = perSecond, capacity
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0, nil
	}
	wait := time.Duration(math.Round(-b.tokens / perSecond * float64(time.Second)))
	return wait, nil
}

// ReserveAll implements BatchLimiter, one Reserve per slot.
func (l *LocalLimiter) ReserveAll(ctx context.Context, buckets []Bucket) ([][]time.Duration, error) {
	out := make([][]time.Duration, len(buckets))
	for i, b := range buckets {
		out[i] = make([]time.Duration, b.N)
		for j := range b.N {
			d, err := l.Reserve(ctx, b.Key, b.PerSecond, b.Burst)
			if err != nil {
				return nil, err
			}
			out[i][j] = d
		}
	}
	return out, nil
}

func (b *localBucket) refill(now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.perSecond)
		b.at = now
	}
}

// sweep drops buckets that have refilled completely: forgetting them is the
// same as keeping them full.
func (l *LocalLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	for key, b := range l.buckets {
		b.refill(now)
		if b.tokens >= b.burst {
			delete(l.buckets, key)
		}
	}
}

// WindowLimiter admits a call only while fewer than limit calls are live in
// the window, shared by every replica; otherwise it says how long to wait
// before asking again. A call is live from its admission until one window
// after Done: the server counts it when it arrives, which is somewhere in
// between, so no window of the server's can hold more than limit. The
// Telegram sender passes every call through it last, right before the
// request, because Telegram counts messages in any one-second window.
type WindowLimiter interface {
	Admit(ctx context.Context, key string, limit int, window time.Duration) (ticket string, wait time.Duration, err error)
	Done(ctx context.Context, key, ticket string) error
}

// LateWindowLimiter is a WindowLimiter that can count a finished call as
// finished a while later: a call another party carries out after we are
// done with it (a reply riding the webhook's 200, which Telegram makes
// only once it has read the response).
type LateWindowLimiter interface {
	WindowLimiter
	DoneAfter(ctx context.Context, key, ticket string, after time.Duration) error
}

// OrPositive is v, or def when v is zero or negative: how the senders'
// options fall back to their defaults.
func OrPositive[T int | int64 | float64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
