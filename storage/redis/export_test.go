package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
)

// StopRenewalForTest stops a turn's lease renewal without releasing
// anything, as a process killed mid-update would.
func (t *Turn) StopRenewalForTest() { t.stopRenewal() }

// ScriptGroupForTest runs script calls through a group of limit senders,
// as the gate's calls go; hold makes them queue until release (see
// batch.Group.Hold), queued is how many wait.
func ScriptGroupForTest(s *Store, limit int) (run func(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd, hold func() (release func()), queued func() int) {
	g := newScriptGroup(s.rdb, limit)
	return g.run, g.batch.Hold, g.batch.Queued
}
