package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

func TestUpdateHandledOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()

	first, err := s.BeginUpdate(ctx, 7, time.Minute)
	require.NoError(t, err)
	require.True(t, first)
	again, err := s.BeginUpdate(ctx, 7, time.Minute)
	require.NoError(t, err)
	require.False(t, again, "a delivery in flight blocks the duplicate")

	require.NoError(t, s.AbortUpdate(ctx, 7))
	retry, err := s.BeginUpdate(ctx, 7, time.Minute)
	require.NoError(t, err)
	require.True(t, retry, "a failed update is handled again on redelivery")

	require.NoError(t, s.FinishUpdate(ctx, 7, time.Hour))
	done, err := s.BeginUpdate(ctx, 7, time.Minute)
	require.NoError(t, err)
	require.False(t, done, "a handled update is never handled again")
}

func TestLockSerialises(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	ctx := context.Background()

	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := s.Lock(ctx, "chat:1", 5*time.Second)
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
			unlock()
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), maxInside.Load(), "two holders at once")
}

func TestLockGivesUpWithContext(t *testing.T) {
	t.Parallel()
	s, _, _ := redistest.NewStore(t)
	unlock, err := s.Lock(context.Background(), "busy", 5*time.Second)
	require.NoError(t, err)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = s.Lock(ctx, "busy", 5*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
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
