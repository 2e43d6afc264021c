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

// pipeCounter counts the pipelines of script calls sent and the largest
// one.
type pipeCounter struct{ pipelines, largest atomic.Int64 }

func (c *pipeCounter) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (c *pipeCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (c *pipeCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if len(cmds) == 0 || cmds[0].Name() != "evalsha" {
			return next(ctx, cmds) // the connection's own handshake
		}
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
// sender is busy go to Redis together (at most 32 a pipeline), each gets
// its own answer, a script Redis has never seen (NOSCRIPT in the
// pipeline) still runs once, and a call whose context ended before it was
// sent is not sent.
func TestScriptGroupPipelinesConcurrentCalls(t *testing.T) {
	t.Parallel()
	s, rdb, prefix := redistest.NewStore(t)
	counter := &pipeCounter{}
	rdb.AddHook(counter)
	run, hold, queued := redis.ScriptGroupForTest(s, 1)
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	// A script new to this Redis (its comment is random): the first
	// pipeline meets NOSCRIPT.
	script := goredis.NewScript("-- " + hex.EncodeToString(salt[:]) + "\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")

	const n = 200
	release := hold()
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
	require.Eventually(t, func() bool { return queued() == n }, 10*time.Second, time.Millisecond)
	release()
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "call %d", i)
		require.Equal(t, int64(i+1), got[i], "call %d got its own answer", i)
		v, err := rdb.Get(t.Context(), prefix+"g:"+strconv.Itoa(i)).Int64()
		require.NoError(t, err)
		require.Equal(t, int64(i+1), v, "call %d ran exactly once", i)
	}
	require.Equal(t, int64(7), counter.pipelines.Load(), "200 queued calls: six pipelines of 32 and one of 8")
	require.Equal(t, int64(32), counter.largest.Load())

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, run(ctx, script, []string{prefix + "g:cancelled"}, 1).Err(), context.Canceled)
	n2, err := rdb.Exists(t.Context(), prefix+"g:cancelled").Result()
	require.NoError(t, err)
	require.Zero(t, n2, "a call whose context had ended was not sent")
}
