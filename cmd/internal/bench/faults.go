package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/voronka/voronka/storage/postgres/postgrestest"

	goredis "github.com/redis/go-redis/v9"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// benchFaults breaks things while customers talk to the bot, one fault at
// a time at random moments:
//
//   - kill: SIGKILL a replica (no drain, connections cut mid-request), and
//     start it again a moment later under the same replica id;
//   - postgres: end every PostgreSQL connection of the run's replicas
//     (pg_terminate_backend by application_name). A real restart of the
//     server would do the same to the replicas and also end every other
//     user's sessions on a shared server, which a benchmark must not do;
//   - redis: delete every key of the run's prefix (sessions, update marks,
//     locks, rate buckets): what a Redis restart without persistence
//     does to the run, without touching other users of the server;
//   - telegram429 / telegram5xx: the Bot API answers a burst of sends with
//     429 retry_after=1 or with 502;
//   - slack: the Slack API answers a burst of posts with 429 or 503.
//
// Duplicate and out-of-order deliveries are the generator's (Dup, Stale).
//
// One combination is left out on purpose: a Redis flush between two
// deliveries of one update. The update marks live in Redis only, so an
// update delivered again across a flush is handled again; an answer is
// still stored once (PostgreSQL's unique row, and the answer carries its
// update id, so the bot stays silent), but a redelivered command or invalid
// input would be answered twice. The generator holds a read lock over
// every update it may deliver twice and the flush takes the write lock.
type benchFaults struct {
	every    time.Duration
	replicas *replicaSet
	audit    *postgrestest.Audit
	app      string // the replicas' application_name
	rdb      *goredis.Client
	prefix   string
	tg       *telegramtest.Server
	sl       *slackfake.Server
	gen      *generator
	float    func() float64
	intn     func(int) int
	plan     []string // fault kinds in turn instead of at random

	mu     sync.Mutex
	events []faultEvent
	errs   []error
}

// faultEvent is one fault as the report lists it.
type faultEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// run injects faults until ctx ends, then makes sure every replica is up.
func (f *benchFaults) run(ctx context.Context) {
	kinds := []struct {
		name   string
		weight int
		do     func(ctx context.Context) (string, error)
	}{
		{"kill", 4, f.kill},
		{"postgres", 2, f.postgres},
		{"redis", 2, f.flushRedis},
		{"telegram429", 1, f.telegram429},
		{"telegram5xx", 1, f.telegram5xx},
		{"slack", 1, f.slack},
	}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	for n := 0; ; n++ {
		// At least every/2 apart, so that a killed replica is back and the
		// deliveries it cut are being retried before the next fault.
		wait := f.every/2 + time.Duration(f.float()*float64(f.every))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		pick := f.intn(total)
		for _, k := range kinds {
			if len(f.plan) > 0 {
				// A plan names the faults in turn (the tests' way of
				// making sure each kind happens); the moments stay random.
				if k.name != f.plan[n%len(f.plan)] {
					continue
				}
			} else if pick >= k.weight {
				pick -= k.weight
				continue
			}
			detail, err := k.do(ctx)
			f.mu.Lock()
			f.events = append(f.events, faultEvent{At: time.Now(), Kind: k.name, Detail: detail})
			if err != nil && ctx.Err() == nil {
				f.errs = append(f.errs, fmt.Errorf("fault %s: %w", k.name, err))
			}
			f.mu.Unlock()
			break
		}
	}
}

func (f *benchFaults) kill(ctx context.Context) (string, error) {
	r := f.replicas.all[f.intn(len(f.replicas.all))]
	if err := r.kill(); err != nil {
		return "", err
	}
	// Down for a moment: its updates go to the other replicas, its chats
	// and updates wait out their lease, its running jobs wait for it.
	time.Sleep(100*time.Millisecond + time.Duration(f.float()*float64(400*time.Millisecond)))
	if err := r.start(context.WithoutCancel(ctx)); err != nil {
		return "", err
	}
	return fmt.Sprintf("replica %d", r.index), nil
}

func (f *benchFaults) postgres(ctx context.Context) (string, error) {
	n, err := f.audit.TerminateBackends(ctx, f.app)
	return fmt.Sprintf("%d connections ended", n), err
}

// flushRedis deletes the run's keys (see the type's comment for the lock).
func (f *benchFaults) flushRedis(ctx context.Context) (string, error) {
	f.gen.flush.Lock()
	defer f.gen.flush.Unlock()
	n, err := deletePrefix(ctx, f.rdb, f.prefix)
	// After the deletion, not before: an update that began while SCAN was
	// still walking may have lost its "done" mark, so it must count as
	// delivered before this flush.
	f.gen.epoch.Add(1)
	return fmt.Sprintf("%d keys deleted", n), err
}

func deletePrefix(ctx context.Context, rdb *goredis.Client, prefix string) (int, error) {
	n := 0
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	if len(batch) > 0 {
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return n, err
		}
		n += len(batch)
	}
	return n, nil
}

func (f *benchFaults) telegram429(context.Context) (string, error) {
	n := 5 + f.intn(15)
	f.tg.Fail("sendMessage", n, 429, 1)
	f.tg.Fail("answerCallbackQuery", n/3, 429, 1)
	return fmt.Sprintf("%d sends refused with retry_after=1", n), nil
}

func (f *benchFaults) telegram5xx(context.Context) (string, error) {
	n := 3 + f.intn(8)
	f.tg.Fail("sendMessage", n, 502, 0)
	f.tg.Fail("editMessageText", n/2, 502, 0)
	return fmt.Sprintf("%d sends refused with 502", n), nil
}

func (f *benchFaults) slack(context.Context) (string, error) {
	n := 1 + f.intn(4)
	if f.intn(2) == 0 {
		f.sl.Fail("chat.postMessage", n, 429, time.Second)
		return fmt.Sprintf("%d posts refused with 429", n), nil
	}
	f.sl.Fail("chat.postMessage", n, 503, 0)
	return fmt.Sprintf("%d posts refused with 503", n), nil
}

// summary counts the faults by kind.
func (f *benchFaults) summary() (map[string]int, []faultEvent, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, e := range f.events {
		out[e.Kind]++
	}
	return out, append([]faultEvent(nil), f.events...), append([]error(nil), f.errs...)
}
