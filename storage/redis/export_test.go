package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
)

// StopRenewalForTest stops a turn's lease renewal without releasing
// anything, as a process killed mid-update would.
func (t *Turn) StopRenewalForTest() { t.stopRenewal() }

// ScriptGroupForTest runs script calls through a group of limit senders,
// as the gate's calls go.
func ScriptGroupForTest(s *Store, limit int) func(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	return newScriptGroup(s.rdb, limit).run
}
