package redis

import (
	"context"
	"fmt"
	"time"
)

// First reports whether this is the first time key is seen within ttl, by
// any replica: the guard for Slack's repeated deliveries and for cron ticks
// that every replica's scheduler fires.
func (s *Store) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("once", key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("first %s: %w", key, err)
	}
	return ok, nil
}
