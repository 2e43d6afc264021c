package postgres

import (
	"context"
	"fmt"

	"github.com/voronka/voronka/crm"
)

// insertEvent takes lead_id, kind, actor, data as JSON text, and the time
// (NULL for now()).
const insertEvent = `INSERT INTO events (lead_id, kind, actor, data, created_at)
	VALUES ($1, $2, $3, $4::jsonb, coalesce($5::timestamptz, now()))`

// AddEvent appends e to its lead's timeline, dated e.At. An event needs a
// lead and a kind; a lead that does not exist is ENOTFOUND.
func (s *LeadStore) AddEvent(ctx context.Context, e crm.Event) error {
	if e.LeadID == 0 || e.Kind == "" {
		return fmt.Errorf("add event: %w", crm.Errorf(crm.EINVALID, "an event needs a lead and a kind"))
	}
	js, err := eventData(e.Data)
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	if _, err := s.db.Pool.Exec(ctx, insertEvent, e.LeadID, e.Kind, e.Actor, js, timeArg(e.At)); err != nil {
		return fmt.Errorf("add event: %w", translate(err, fmt.Sprintf("lead %d not found", e.LeadID)))
	}
	return nil
}

// leadTimelineSQL is lead $1's timeline: its events and, as "answered"
// events (id 0, data {step, score}), its answers, superseded ones
// included. An answer writes no event of its own (it only repeated the
// answers row); "answered" events stored before that are left out here,
// their answers stand for them. ord breaks ties of time the way the rows
// were written: "created" first, then the answers, then the other events.
const leadTimelineSQL = `
	SELECT id, lead_id, kind, actor, data, created_at, CASE WHEN kind = 'created' THEN 0 ELSE 2 END AS ord
	FROM events WHERE lead_id = $1 AND kind <> 'answered'
	UNION ALL
	SELECT id, lead_id, 'answered', 'customer', jsonb_build_object('step', step_id, 'score', score), created_at, 1
	FROM answers WHERE lead_id = $1`

// Events returns the lead's timeline (leadTimelineSQL), oldest first by
// the events' own times, insertion order breaking ties. Data comes back as encoding/json
// decodes it (numbers are float64) and is never nil. A lead that does not
// exist is ENOTFOUND.
func (s *LeadStore) Events(ctx context.Context, leadID int64) ([]crm.Event, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT id, lead_id, kind, actor, data, created_at FROM (`+leadTimelineSQL+`) t
		ORDER BY created_at, ord, id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []crm.Event
	for rows.Next() {
		var e crm.Event
		if err := rows.Scan(&e.ID, &e.LeadID, &e.Kind, &e.Actor, &e.Data, &e.At); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		if e.Kind == crm.EventAnswered {
			e.ID = 0
		}
		if e.Data == nil {
			e.Data = map[string]any{}
		}
		utc(&e.At)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if len(out) == 0 {
		if err := s.leadExists(ctx, leadID); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
	}
	return out, nil
}

// leadExists is ENOTFOUND when the lead does not exist, so that listing the
// answers or events of a missing lead is an error rather than an empty list.
func (s *LeadStore) leadExists(ctx context.Context, leadID int64) error {
	var ok bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM leads WHERE id = $1)`, leadID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return crm.Errorf(crm.ENOTFOUND, "lead %d not found", leadID)
	}
	return nil
}
