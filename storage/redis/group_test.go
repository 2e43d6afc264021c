package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/redis"
	"github.com/voronka/voronka/storage/redis/redistest"
)

// pipeCounter counts the pipelines sent and the largest one, and holds
// the first single call for a moment, so that the calls started with it
// queue behind it.
type pipeCounter struct {
	pipelines, largest atomic.Int64
	held               atomic.Bool
}

func (c *pipeCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c *pipeCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if c.held.CompareAndSwap(false, true) {
			time.Sleep(50 * time.Millisecond)
		}
		return next(ctx, cmd)
	}
}
func (c *pipeCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		c.pipelines.Add(1)
		for {
			l := c.largest.Load()
			if int64(len(cmds)) <= l || c.largest.CompareAndSwap(l, int64(len(cmds))) {
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestScriptGroupPipelinesConcurrentCalls: calls made while the group's
// sender is busy go to Redis together, each gets its own answer, a script
// Redis has never seen (NOSCRIPT in the pipeline) still runs once, and a
// call whose context ended before it was sent is not sent.
func TestScriptGroupPipelinesConcurrentCalls(t *testing.T) {
	t.Parallel()
	s, rdb, prefix := redistest.NewStore(t)
	counter := &pipeCounter{}
	rdb.AddHook(counter)
	run := redis.ScriptGroupForTest(s, 1)
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	// A script new to this Redis (its comment is random): the first
	// pipeline meets NOSCRIPT.
	script := goredis.NewScript("-- " + hex.EncodeToString(salt[:]) + "\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")

	const n = 200
	var wg sync.WaitGroup
	got := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = run(t.Context(), script, []string{prefix + "g:" + strconv.Itoa(i)}, i+1).Int64()
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "call %d", i)
		require.Equal(t, int64(i+1), got[i], "call %d got its own answer", i)
		v, err := rdb.Get(t.Context(), prefix+"g:"+strconv.Itoa(i)).Int64()
		require.NoError(t, err)
		require.Equal(t, int64(i+1), v, "call %d ran exactly once", i)
	}
	require.Positive(t, counter.pipelines.Load(), "the calls queued behind the first went as pipelines")
	require.Greater(t, counter.largest.Load(), int64(1))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, run(ctx, script, []string{prefix + "g:cancelled"}, 1).Err(), context.Canceled)
	n2, err := rdb.Exists(t.Context(), prefix+"g:cancelled").Result()
	require.NoError(t, err)
	require.Zero(t, n2, "a call whose context had ended was not sent")
}
