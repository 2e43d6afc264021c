package redis

import (
	"context"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/voronka/voronka/storage/internal/batch"
)

// maxScriptGroup is the most script calls sent in one pipeline.
const maxScriptGroup = 32

// scriptGroupTimeout bounds one pipeline's round trip once its callers
// may have gone: it must finish or fail, not hang (a partitioned Redis).
const scriptGroupTimeout = 5 * time.Second

// scriptCall is one script call waiting for its pipeline.
type scriptCall struct {
	ctx    context.Context
	script *goredis.Script
	keys   []string
	args   []any
	cmd    *goredis.Cmd
	done   chan struct{}
}

// scriptGroup sends the gate's script calls of concurrent updates to Redis
// together, as one pipeline: one write and one read on each side for the
// whole group. On a machine where the bot and Redis share two cores, a
// round trip's system calls (the bot's write and read, Redis's read and
// write, the wake-ups between) cost more than the script, and every
// customer update makes two of them (Enter, Commit); docs/benchmarks.md
// has the figures.
//
// The queue and its senders are a batch.Group, as the answers' group in
// storage/postgres is: under light load every call finds a free slot and
// goes at once, alone; under load, the calls that arrive while the slots
// are busy go together in the next pipeline.
//
// Each call in a pipeline succeeds or fails on its own, as it would
// alone. A script Redis does not know (restarted, SCRIPT FLUSH) is
// loaded by running that call again alone with Script.Run. A call whose
// context ended while it waited in the queue is not sent at all.
type scriptGroup struct {
	rdb   goredis.UniversalClient
	batch *batch.Group[*scriptCall]
}

func newScriptGroup(rdb goredis.UniversalClient, limit int) *scriptGroup {
	g := &scriptGroup{rdb: rdb}
	g.batch = batch.New(limit, maxScriptGroup, g.send)
	return g
}

// run is script.Run(ctx, rdb, keys, args...) through the group. It returns
// when the call was answered or ctx ended (the call may still be made
// then, as a call cut off by its deadline may have been).
func (g *scriptGroup) run(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	c := &scriptCall{ctx: ctx, script: script, keys: keys, args: args, done: make(chan struct{})}
	g.batch.Do(c, c.done)
	select {
	case <-c.done:
		return c.cmd
	case <-ctx.Done():
		cmd := goredis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
}

// send makes batch's calls, as one pipeline when there are several, and
// answers each.
func (g *scriptGroup) send(batch []*scriptCall) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.cmd = goredis.NewCmd(c.ctx)
			c.cmd.SetErr(err)
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Alone: exactly the call it would be without the group, under
		// its caller's deadline.
		c := live[0]
		c.cmd = c.script.Run(c.ctx, g.rdb, c.keys, c.args...)
		close(c.done)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptGroupTimeout)
	defer cancel()
	if d, ok := lastDeadline(live); ok {
		// A partitioned Redis fails the pipeline at its callers'
		// deadline, as it would fail each of them alone.
		var c2 context.CancelFunc
		ctx, c2 = context.WithDeadline(ctx, d)
		defer c2()
	}
	pipe := g.rdb.Pipeline()
	cmds := make([]*goredis.Cmd, len(live))
	for i, c := range live {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range live {
		if err := cmds[i].Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			cmds[i] = c.script.Run(ctx, g.rdb, c.keys, c.args...)
		}
		c.cmd = cmds[i]
		close(c.done)
	}
}

// lastDeadline is the time until which some caller of batch still
// waits: the latest of their deadlines, none if one has none.
func lastDeadline(batch []*scriptCall) (time.Time, bool) {
	var latest time.Time
	for _, c := range batch {
		d, ok := c.ctx.Deadline()
		if !ok {
			return time.Time{}, false
		}
		if d.After(latest) {
			latest = d
		}
	}
	return latest, true
}

// scriptSenders is how many pipelines of the gate's scripts are in flight
// at most: Redis runs one command at a time, so a second pipeline only
// overlaps one's network time with the other's execution.
const scriptSenders = 2
