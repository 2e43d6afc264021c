package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// unlockScript deletes the lock only if it still holds our token, so a
// replica whose lock expired cannot release the next holder's.
var unlockScript = goredis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)

// Lock takes the short lock name for ttl, waiting (with a growing pause, up
// to ctx's deadline) while another holder has it. The returned function
// releases it. The ttl bounds how long a crashed holder blocks others.
func (s *Store) Lock(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	token := hex.EncodeToString(raw[:])
	key := s.key("lock", name)
	pause := time.Millisecond
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if ok {
			return func() {
				// A fresh context: the caller's may be done, and the lock
				// must still go.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				defer cancel()
				_ = unlockScript.Run(ctx, s.rdb, []string{key}, token).Err()
			}, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lock %s: %w", name, errors.Join(ctx.Err(), errLockBusy))
		case <-t.C:
		}
		if pause < 50*time.Millisecond {
			pause *= 2
		}
	}
}

var errLockBusy = errors.New("lock is held elsewhere")
