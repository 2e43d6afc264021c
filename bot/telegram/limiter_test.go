package telegram_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
)

// LocalLimiter lives in package bot; its tests live here because this
// package is its first user (and bot/ is shared with other work).

func TestLocalLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	l := bot.NewLocalLimiter(clock.Now)

	reserve := func(key string, perSecond float64, burst int) time.Duration {
		t.Helper()
		d, err := l.Reserve(ctx, key, perSecond, burst)
		require.NoError(t, err)
		return d
	}

	// A full bucket lets the burst through, then reservations queue up.
	require.Zero(t, reserve("a", 2, 2))
	require.Zero(t, reserve("a", 2, 2))
	require.Equal(t, 500*time.Millisecond, reserve("a", 2, 2))
	require.Equal(t, time.Second, reserve("a", 2, 2))

	// Buckets are independent.
	require.Zero(t, reserve("b", 2, 2))

	// Time refills; it never overfills beyond the burst.
	require.NoError(t, clock.Sleep(ctx, time.Hour))
	require.Zero(t, reserve("a", 2, 2))
	require.Zero(t, reserve("a", 2, 2))
	require.Equal(t, 500*time.Millisecond, reserve("a", 2, 2))

	// Slow rates: 20 a minute is one per 3s.
	require.Zero(t, reserve("g", 20.0/60, 1))
	require.Equal(t, 3*time.Second, reserve("g", 20.0/60, 1).Round(time.Millisecond))

	// No rate means no limit; a burst below one is one.
	require.Zero(t, reserve("free", 0, 0))
	require.Zero(t, reserve("free", 0, 0))
	require.Zero(t, reserve("one", 1, 0))
	require.Equal(t, time.Second, reserve("one", 1, 0))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := l.Reserve(cancelled, "a", 1, 1)
	require.ErrorIs(t, err, context.Canceled)
}

func TestLocalLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := bot.NewLocalLimiter(clock.Now)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		waits = map[time.Duration]int{}
	)
	for range 50 {
		wg.Go(func() {
			d, err := l.Reserve(context.Background(), "k", 10, 10)
			require.NoError(t, err)
			mu.Lock()
			waits[d]++
			mu.Unlock()
		})
	}
	wg.Wait()
	// 10 at once, then one every 100ms: every slot handed out once.
	require.Equal(t, 10, waits[0])
	for i := 1; i <= 40; i++ {
		require.Equal(t, 1, waits[time.Duration(i)*100*time.Millisecond], i)
	}
}
