package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/redis"
	"github.com/voronka/voronka/storage/redis/redistest"
)

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()

	got, err := s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, got, "no session before the first save")

	require.NoError(t, s.SaveSession(ctx, 42, []byte(`{"step":"budget"}`), time.Minute))
	got, err = s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.JSONEq(t, `{"step":"budget"}`, string(got))

	require.NoError(t, s.DeleteSession(ctx, 42))
	got, err = s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestGateHandlesAnUpdateOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	const lease = 5 * time.Second

	first, err := s.Enter(ctx, 7, 42, lease)
	require.NoError(t, err)
	require.False(t, first.Duplicate())
	require.False(t, first.InProgress())
	require.Nil(t, first.Session(), "no session yet")

	again, err := s.Enter(ctx, 7, 42, lease)
	require.NoError(t, err)
	require.True(t, again.InProgress(), "a delivery in hand elsewhere is neither done nor free")

	require.NoError(t, first.Abort(ctx))
	retry, err := s.Enter(ctx, 7, 42, lease)
	require.NoError(t, err)
	require.False(t, retry.InProgress(), "a failed update is handled again on redelivery")
	require.False(t, retry.Duplicate())

	require.NoError(t, retry.Commit(ctx, []byte(`{"step":"budget"}`), time.Hour, time.Hour))
	require.NoError(t, retry.Release(ctx))
	done, err := s.Enter(ctx, 7, 42, lease)
	require.NoError(t, err)
	require.True(t, done.Duplicate(), "a handled update is never handled again")

	next, err := s.Enter(ctx, 8, 42, lease)
	require.NoError(t, err)
	require.JSONEq(t, `{"step":"budget"}`, string(next.Session()), "the committed session comes back")
	stored, err := s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, stored, "the session is out of Redis while an update has it")
	require.NoError(t, next.Commit(ctx, nil, time.Hour, time.Hour))
	require.NoError(t, next.Release(ctx))
	stored, err = s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, stored, "a nil session is dropped")
}

func TestGateSerialisesAChat(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()

	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := s.Enter(ctx, int64(100+i), 1, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			inside.Add(-1)
			if err := turn.Commit(ctx, []byte("{}"), time.Hour, time.Hour); err != nil {
				t.Error(err)
			}
			if err := turn.Release(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), maxInside.Load(), "two holders at once")
}

func TestGateWaitGivesUpWithContext(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	held, err := s.Enter(context.Background(), 1, 5, 5*time.Second)
	require.NoError(t, err)
	defer held.Release(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = s.Enter(ctx, 2, 5, 5*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The waiting update was unmarked, so its redelivery is handled.
	later, err := s.Enter(context.Background(), 2, 6, 5*time.Second)
	require.NoError(t, err)
	require.False(t, later.InProgress())
	require.NoError(t, later.Release(context.Background()))
}

// TestGateLeaseRenewedAndExpired: a live turn keeps its chat past the
// lease; a dead one (never released) lets go of it after the lease.
func TestGateLeaseRenewedAndExpired(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	const lease = 600 * time.Millisecond

	live, err := s.Enter(ctx, 1, 9, lease)
	require.NoError(t, err)
	time.Sleep(3 * lease)
	again, err := s.Enter(ctx, 1, 9, lease)
	require.NoError(t, err)
	require.True(t, again.InProgress(), "renewed: still in hand after three leases")
	require.NoError(t, live.Commit(ctx, []byte("{}"), time.Hour, time.Hour))
	require.NoError(t, live.Release(ctx))

	// A turn whose process died: no renewal, no release.
	dead, err := s.Enter(ctx, 2, 10, lease)
	require.NoError(t, err)
	dead.StopRenewalForTest()
	wctx, cancel := context.WithTimeout(ctx, 10*lease)
	defer cancel()
	next, err := s.Enter(wctx, 3, 10, lease)
	require.NoError(t, err, "the dead turn's chat is free after the lease")
	require.False(t, next.InProgress())
	require.NoError(t, next.Release(ctx))
	time.Sleep(lease)
	redelivered, err := s.Enter(ctx, 2, 10, lease)
	require.NoError(t, err)
	require.False(t, redelivered.InProgress(), "and so is its update")
	require.NoError(t, redelivered.Release(ctx))
}

func TestGateCommitDropsASessionWhenTheLockWasLost(t *testing.T) {
	t.Parallel()
	s, rdb, prefix := redistest.NewStore(t)
	ctx := context.Background()
	turn, err := s.Enter(ctx, 1, 11, 5*time.Second)
	require.NoError(t, err)
	// Redis is flushed under the turn: its lock is gone.
	require.NoError(t, rdb.Del(ctx, prefix+"lock:chat:11", prefix+"upd:1").Err())
	require.NoError(t, turn.Commit(ctx, []byte(`{"contact":1}`), time.Hour, time.Hour))
	require.NoError(t, turn.Release(ctx))
	stored, err := s.LoadSession(ctx, 11)
	require.NoError(t, err)
	require.Nil(t, stored, "a session written without the lock could be older than the chat's")
	dup, err := s.Enter(ctx, 1, 11, 5*time.Second)
	require.NoError(t, err)
	require.True(t, dup.Duplicate(), "the update is done all the same")
}

func TestReserveAllMatchesReserve(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	waits, err := s.ReserveAll(ctx, []redis.Bucket{
		{Key: "g", PerSecond: 10, Burst: 2, N: 3},
		{Key: "c", PerSecond: 0, Burst: 1, N: 2},
		{Key: "d", PerSecond: 10, Burst: 1, N: 1},
	})
	require.NoError(t, err)
	require.Len(t, waits, 3)
	require.Zero(t, waits[0][0])
	require.Zero(t, waits[0][1])
	require.InDelta(t, 100*time.Millisecond, waits[0][2], float64(20*time.Millisecond))
	require.Equal(t, []time.Duration{0, 0}, waits[1], "no limit, no wait")
	require.Zero(t, waits[2][0])
	// The slots are taken: the next single reservation queues behind them.
	w, err := s.Reserve(ctx, "g", 10, 2)
	require.NoError(t, err)
	require.InDelta(t, 200*time.Millisecond, w, float64(20*time.Millisecond))
}

func TestReserveKeepsTheRate(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()

	// A burst of 3 at 10/s: three slots now, then one every 100ms.
	var waits []time.Duration
	for range 5 {
		w, err := s.Reserve(ctx, "chat:9", 10, 3)
		require.NoError(t, err)
		waits = append(waits, w)
	}
	require.Zero(t, waits[0])
	require.Zero(t, waits[1])
	require.Zero(t, waits[2])
	require.InDelta(t, 100*time.Millisecond, waits[3], float64(20*time.Millisecond))
	require.InDelta(t, 200*time.Millisecond, waits[4], float64(20*time.Millisecond))

	other, err := s.Reserve(ctx, "chat:10", 10, 3)
	require.NoError(t, err)
	require.Zero(t, other, "buckets are per key")
}

func TestFirstIsOncePerKey(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	first, err := s.First(ctx, "slack:action:1", time.Minute)
	require.NoError(t, err)
	require.True(t, first)
	again, err := s.First(ctx, "slack:action:1", time.Minute)
	require.NoError(t, err)
	require.False(t, again)
	other, err := s.First(ctx, "slack:action:2", time.Minute)
	require.NoError(t, err)
	require.True(t, other)
}

func TestAdmitKeepsAnySecondUnderTheLimit(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	var tickets []string
	for i := range 3 {
		ticket, w, err := s.Admit(ctx, "global", 3, 200*time.Millisecond)
		require.NoError(t, err)
		require.Zero(t, w, "call %d is admitted", i)
		require.NotEmpty(t, ticket)
		tickets = append(tickets, ticket)
	}
	ticket, w, err := s.Admit(ctx, "global", 3, 200*time.Millisecond)
	require.NoError(t, err)
	require.Empty(t, ticket)
	require.Positive(t, w, "the fourth waits")
	require.LessOrEqual(t, w, 5*time.Millisecond, "all three are in flight: ask again shortly")

	// Calls still in flight keep their place however long they take: the
	// server may count them the moment they arrive.
	time.Sleep(250 * time.Millisecond)
	_, w, err = s.Admit(ctx, "global", 3, 200*time.Millisecond)
	require.NoError(t, err)
	require.Positive(t, w, "a window later, calls in flight still count")

	// Finished, a call counts for one more window from when it finished.
	before := time.Now()
	require.NoError(t, s.Done(ctx, "global", tickets[0]))
	_, w, err = s.Admit(ctx, "global", 3, 200*time.Millisecond)
	took := time.Since(before)
	require.NoError(t, err)
	require.Greater(t, w, 200*time.Millisecond-took-5*time.Millisecond, "the finished call leaves one window after it finished")
	require.LessOrEqual(t, w, 200*time.Millisecond)
	time.Sleep(w)
	again, w, err := s.Admit(ctx, "global", 3, 200*time.Millisecond)
	require.NoError(t, err)
	require.Zero(t, w)
	require.NotEmpty(t, again)

	other, w, err := s.Admit(ctx, "other", 3, time.Second)
	require.NoError(t, err)
	require.Zero(t, w, "windows are per key")
	require.NotEmpty(t, other)
	require.NoError(t, s.Done(ctx, "other", ""), "an empty ticket is a no-op")
}

// TestCommitReserveIsCommitAndReserveAll: the commit with the reply's
// reservation stores the session, marks the update done and takes the
// slots from the same buckets ReserveAll uses, in one script.
func TestCommitReserveIsCommitAndReserveAll(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	const lease = 5 * time.Second

	turn, err := s.Enter(ctx, 9, 43, lease)
	require.NoError(t, err)
	waits, err := turn.CommitReserveRelease(ctx, []byte(`{"step":"role"}`), time.Hour, time.Hour, []redis.Bucket{
		{Key: "global", PerSecond: 1000, Burst: 10, N: 3},
		{Key: "chat:43", PerSecond: 1, Burst: 1, N: 2},
		{Key: "unlimited", PerSecond: 0, N: 2},
	})
	require.NoError(t, err)
	require.Len(t, waits, 3)
	require.Equal(t, []time.Duration{0, 0, 0}, waits[0], "within the burst")
	require.Zero(t, waits[1][0])
	require.InDelta(t, float64(time.Second), float64(waits[1][1]), float64(50*time.Millisecond), "the chat's second slot a second later")
	require.Equal(t, []time.Duration{0, 0}, waits[2], "no limit, no wait, no key")
	require.NoError(t, turn.Release(ctx))

	// The same buckets as ReserveAll's: the chat's next slot is after those.
	more, err := s.ReserveAll(ctx, []redis.Bucket{{Key: "chat:43", PerSecond: 1, Burst: 1, N: 1}})
	require.NoError(t, err)
	require.Greater(t, more[0][0], time.Second, "after the two slots the commit took")

	again, err := s.Enter(ctx, 9, 43, lease)
	require.NoError(t, err)
	require.True(t, again.Duplicate(), "the update is marked done")
	next, err := s.Enter(ctx, 10, 43, lease)
	require.NoError(t, err)
	require.JSONEq(t, `{"step":"role"}`, string(next.Session()), "the session is stored")
	none, err := next.CommitReserveRelease(ctx, nil, time.Hour, time.Hour, nil)
	require.NoError(t, err)
	require.Empty(t, none)
	require.NoError(t, next.Release(ctx))
}

// TestCommitReserveReleaseLetsGoOfTheChat: the commit that also releases
// stores the session, marks the update done, takes the slots and frees the
// chat at once, so the chat's next update enters without waiting for a
// Release; a Release after it changes nothing (it does not take a lock
// another update holds by then).
func TestCommitReserveReleaseLetsGoOfTheChat(t *testing.T) {
	t.Parallel()
	s, rdb, prefix := redistest.NewStore(t)
	ctx := context.Background()
	const lease = 5 * time.Second

	turn, err := s.Enter(ctx, 21, 44, lease)
	require.NoError(t, err)
	require.EqualValues(t, 1, rdb.Exists(ctx, prefix+"lock:chat:44").Val(), "the turn holds the chat")
	waits, err := turn.CommitReserveRelease(ctx, []byte(`{"step":"email"}`), time.Hour, time.Hour, []redis.Bucket{
		{Key: "chat:44", PerSecond: 1, Burst: 1, N: 1},
	})
	require.NoError(t, err)
	require.Equal(t, [][]time.Duration{{0}}, waits)
	require.Zero(t, rdb.Exists(ctx, prefix+"lock:chat:44").Val(), "the commit let go of the chat")

	next, err := s.Enter(ctx, 22, 44, lease)
	require.NoError(t, err)
	require.False(t, next.InProgress())
	require.False(t, next.Duplicate())
	require.JSONEq(t, `{"step":"email"}`, string(next.Session()), "the chat was free and the session stored")
	require.NoError(t, turn.Release(ctx), "a no-op after the commit let go")
	again, err := s.Enter(ctx, 21, 44, lease)
	require.NoError(t, err)
	require.True(t, again.Duplicate(), "the update is marked done")

	// The next turn still holds the chat: a third update waits for it.
	third := make(chan error, 1)
	go func() {
		tt, err := s.Enter(ctx, 23, 44, lease)
		if err == nil {
			err = tt.Release(ctx)
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("entered a chat another update holds (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	_, err = next.CommitReserveRelease(ctx, []byte(`{"step":"done"}`), time.Hour, time.Hour, nil)
	require.NoError(t, err)
	require.NoError(t, <-third, "the commit let go and the waiting update entered")
}

// TestDoneAfterHoldsThePlaceLonger: a call carried out after we finished
// with it (a reply riding the webhook's response) counts for one window
// from when it is carried out, not from when Done was called.
func TestDoneAfterHoldsThePlaceLonger(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()
	ticket, w, err := s.Admit(ctx, "global", 1, 200*time.Millisecond)
	require.NoError(t, err)
	require.Zero(t, w)
	done := time.Now()
	require.NoError(t, s.DoneAfter(ctx, "global", ticket, 300*time.Millisecond))
	// Admitted again only a window after now+300ms (a lower bound: a slow
	// machine only makes it later).
	for {
		next, w, err := s.Admit(ctx, "global", 1, 200*time.Millisecond)
		require.NoError(t, err)
		if next != "" {
			break
		}
		time.Sleep(w)
	}
	require.GreaterOrEqual(t, time.Since(done), 495*time.Millisecond, "the place is held a window after now+300ms")
}
