package postgres

import (
	"context"
	"fmt"
	"time"
)

// ClaimTick takes the tick of schedule name for this replica: true for the
// first replica to ask, false for every other. The row stays as the
// schedule's history, which is how a missed tick is found (LastTick).
func (db *DB) ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error) {
	tag, err := db.Pool.Exec(ctx, `INSERT INTO schedule_ticks (name, tick) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, tick)
	if err != nil {
		return false, fmt.Errorf("claim tick %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// LastTick is the latest tick of schedule name that any replica ran; ok is
// false when it never ran.
func (db *DB) LastTick(ctx context.Context, name string) (tick time.Time, ok bool, err error) {
	var t *time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT max(tick) FROM schedule_ticks WHERE name = $1`, name).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("last tick %s: %w", name, err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}
