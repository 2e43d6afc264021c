package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// LoadSession returns the dialogue state saved for chatID, or nil when there
// is none (never saved, expired, or Redis was flushed).
func (s *Store) LoadSession(ctx context.Context, chatID int64) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.key("sess", strconv.FormatInt(chatID, 10))).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return b, nil
}

// SaveSession stores the dialogue state of chatID for ttl.
func (s *Store) SaveSession(ctx context.Context, chatID int64, state []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.key("sess", strconv.FormatInt(chatID, 10)), state, ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// DeleteSession forgets the dialogue state of chatID.
func (s *Store) DeleteSession(ctx context.Context, chatID int64) error {
	if err := s.rdb.Del(ctx, s.key("sess", strconv.FormatInt(chatID, 10))).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
