package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Update de-duplication has two marks: "working" while one replica handles
// an update, and "done" once its effects are durable. A second delivery
// that finds either mark is dropped; a replica that fails removes its mark
// so Telegram's redelivery is handled. The working mark expires on its own
// so a replica killed mid-update does not block the update forever.
const (
	markWorking = "w"
	markDone    = "d"
)

// BeginUpdate marks update id as being handled. It returns false when the
// update is already being handled or was handled, by any replica.
func (s *Store) BeginUpdate(ctx context.Context, id int64, working time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("upd", strconv.FormatInt(id, 10)), markWorking, working).Result()
	if err != nil {
		return false, fmt.Errorf("begin update: %w", err)
	}
	return ok, nil
}

// FinishUpdate marks update id as handled for keep (Telegram gives up
// redelivering after about a day, so a couple of days is plenty).
func (s *Store) FinishUpdate(ctx context.Context, id int64, keep time.Duration) error {
	if err := s.rdb.Set(ctx, s.key("upd", strconv.FormatInt(id, 10)), markDone, keep).Err(); err != nil {
		return fmt.Errorf("finish update: %w", err)
	}
	return nil
}

// AbortUpdate removes the mark so a redelivery of id is handled again.
func (s *Store) AbortUpdate(ctx context.Context, id int64) error {
	if err := s.rdb.Del(ctx, s.key("upd", strconv.FormatInt(id, 10))).Err(); err != nil {
		return fmt.Errorf("abort update: %w", err)
	}
	return nil
}

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
