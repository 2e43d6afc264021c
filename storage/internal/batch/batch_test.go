package batch_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/internal/batch"
)

type call struct {
	n        int
	answered atomic.Int32
	done     chan struct{}
}

// TestGroupAnswersEveryCallOnce: concurrent callers are each answered
// exactly once, in batches of at most max, with at most limit batches in
// flight; calls held back go together once released; a lone call goes
// alone at once.
func TestGroupAnswersEveryCallOnce(t *testing.T) {
	t.Parallel()
	var (
		inFlight, most atomic.Int32
		mu             sync.Mutex
		sizes          []int
	)
	g := batch.New(2, 5, func(b []*call) {
		now := inFlight.Add(1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
		sizes = append(sizes, len(b))
		mu.Unlock()
		for _, c := range b {
			c.answered.Add(1)
			close(c.done)
		}
		inFlight.Add(-1)
	})

	lone := &call{done: make(chan struct{})}
	g.Do(lone, lone.done)
	<-lone.done
	require.Equal(t, []int{1}, sizes, "a lone call goes at once, alone")

	const n = 300
	calls := make([]*call, n)
	var wg sync.WaitGroup
	for i := range n {
		calls[i] = &call{n: i, done: make(chan struct{})}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Do(calls[i], calls[i].done)
			<-calls[i].done
		}()
	}
	wg.Wait()
	for _, c := range calls {
		require.Equal(t, int32(1), c.answered.Load(), "call %d", c.n)
	}
	require.LessOrEqual(t, most.Load(), int32(2), "at most limit batches in flight")
	total := 0
	for _, s := range sizes {
		require.LessOrEqual(t, s, 5)
		total += s
	}
	require.Equal(t, n+1, total)

	release := g.Hold()
	held := make([]*call, 12)
	for i := range held {
		held[i] = &call{done: make(chan struct{})}
		go g.Do(held[i], held[i].done)
	}
	require.Eventually(t, func() bool { return g.Queued() == 12 }, 5*time.Second, time.Millisecond)
	mu.Lock()
	sizes = nil
	mu.Unlock()
	release()
	for _, c := range held {
		<-c.done
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []int{5, 5, 2}, sizes, "the held calls went in full batches, by one sender")
}
