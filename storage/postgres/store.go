package postgres

import (
	"encoding/json"
	"time"

	"github.com/voronka/voronka/crm"
)

// LeadStore is crm.LeadStore on PostgreSQL: contacts, leads, their answers
// and their timeline.
//
// Times are the caller's: every write takes its time from the value passed
// in (Progress.At, Event.At, ...), because crm runs on an injected clock and
// SLAs, cohorts and tests must agree with it. Only a zero time falls back to
// the database's now(). Times come back in UTC.
type LeadStore struct {
	db *DB
}

var _ crm.LeadStore = (*LeadStore)(nil)

// NewLeadStore returns a LeadStore on db.
func NewLeadStore(db *DB) *LeadStore {
	return &LeadStore{db: db}
}

// timeArg passes t as a query argument, or NULL for the zero time so that
// the SQL can fall back to now() with coalesce.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// utc normalises a time read from PostgreSQL, which pgx returns in
// time.Local, so stored and returned values compare equal wherever the
// process runs.
func utc(t *time.Time) {
	if t != nil && !t.IsZero() {
		*t = t.UTC()
	}
}

// eventData encodes an event's data for a jsonb column. A nil map is stored
// as {} rather than JSON null, so readers can always index into it.
func eventData(data map[string]any) (string, error) {
	if data == nil {
		return "{}", nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", crm.Errorf(crm.EINVALID, "event data is not JSON: %v", err)
	}
	return string(b), nil
}
