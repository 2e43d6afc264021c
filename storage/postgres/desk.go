package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// DeskStore is the crm.DeskStore on PostgreSQL.
type DeskStore struct{ db *DB }

var _ crm.DeskStore = (*DeskStore)(nil)

// NewDeskStore returns the store on db.
func NewDeskStore(db *DB) *DeskStore { return &DeskStore{db: db} }

// AddNote stores a note with its event and jobs.
func (s *DeskStore) AddNote(ctx context.Context, n crm.Note, jobs []crm.Job) (crm.Note, error) {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO notes (lead_id, manager_id, author, text, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, n.LeadID, nullID(n.ManagerID), n.Author, n.Text, n.CreatedAt).Scan(&n.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, n.LeadID, "note", n.Author, `{"note_id":`+strconv.FormatInt(n.ID, 10)+`}`, n.CreatedAt); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return n, fmt.Errorf("add note: %w", translate(err, fmt.Sprintf("Lead #%d not found.", n.LeadID)))
	}
	return n, nil
}

// Notes lists a lead's notes, oldest first.
func (s *DeskStore) Notes(ctx context.Context, leadID int64) ([]crm.Note, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, lead_id, coalesce(manager_id, 0), author, text, created_at
		FROM notes WHERE lead_id = $1 ORDER BY id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	notes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.Note, error) {
		var n crm.Note
		err := r.Scan(&n.ID, &n.LeadID, &n.ManagerID, &n.Author, &n.Text, &n.CreatedAt)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	return notes, nil
}

// Reassign gives an open lead to `to`, claimed, with a guarded UPDATE.
func (s *DeskStore) Reassign(ctx context.Context, leadID int64, to, by crm.Manager, at time.Time, jobs []crm.Job) (int64, error) {
	var from int64
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var stage string
		var prev *int64
		if err := tx.QueryRow(ctx, `SELECT stage, manager_id FROM leads WHERE id = $1 FOR UPDATE`, leadID).Scan(&stage, &prev); err != nil {
			return err
		}
		if prev != nil {
			from = *prev
		}
		switch {
		case stage != string(crm.StageQualified) && stage != string(crm.StageContacted):
			return crm.Errorf(crm.ECONFLICT, "lead #%d is %s", leadID, stage)
		case from == to.ID:
			return crm.Errorf(crm.ECONFLICT, "lead #%d is already %s's", leadID, to.Name)
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET manager_id = $2, assigned_at = $3, claimed_at = $3, waiting = false, updated_at = $3
			WHERE id = $1`, leadID, to.ID, at); err != nil {
			return err
		}
		data, err := eventData(map[string]any{"from_id": from, "manager_id": to.ID, "manager": to.Name, "by": by.Name})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, leadID, "reassigned", by.Name, data, at); err != nil {
			return err
		}
		// A pending call-back is the new owner's now.
		if _, err := tx.Exec(ctx, `UPDATE callbacks SET manager_id = $2
			WHERE lead_id = $1 AND reminded_at IS NULL AND replaced_at IS NULL`, leadID, to.ID); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return 0, fmt.Errorf("reassign: %w", translate(err, fmt.Sprintf("Lead #%d not found.", leadID)))
	}
	return from, nil
}

// Unclaim takes an open lead back from its manager.
func (s *DeskStore) Unclaim(ctx context.Context, leadID int64, by crm.Manager, anyOwner, requeue bool, at time.Time, jobs []crm.Job) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var stage string
		var owner *int64
		var ownerName *string
		if err := tx.QueryRow(ctx, `SELECT l.stage, l.manager_id, m.name FROM leads l LEFT JOIN managers m ON m.id = l.manager_id
			WHERE l.id = $1 FOR UPDATE OF l`, leadID).Scan(&stage, &owner, &ownerName); err != nil {
			return err
		}
		switch {
		case stage != string(crm.StageQualified) && stage != string(crm.StageContacted):
			return crm.Errorf(crm.ECONFLICT, "lead #%d is %s", leadID, stage)
		case owner == nil:
			return crm.Errorf(crm.ECONFLICT, "lead #%d is nobody's", leadID)
		case *owner != by.ID && !anyOwner:
			return crm.Errorf(crm.EFORBIDDEN, "lead #%d is %s's", leadID, *ownerName)
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET manager_id = NULL, assigned_at = NULL, claimed_at = NULL,
				waiting = $3 AND stage = 'qualified', updated_at = $2
			WHERE id = $1`, leadID, at, requeue); err != nil {
			return err
		}
		data, err := eventData(map[string]any{"from_id": *owner, "from": *ownerName, "by": by.Name})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, leadID, "unclaimed", by.Name, data, at); err != nil {
			return err
		}
		// Nobody's lead has nobody to remind.
		if _, err := tx.Exec(ctx, `UPDATE callbacks SET replaced_at = $2
			WHERE lead_id = $1 AND reminded_at IS NULL AND replaced_at IS NULL`, leadID, at); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("unclaim: %w", translate(err, fmt.Sprintf("Lead #%d not found.", leadID)))
	}
	return nil
}

// ScheduleCallback replaces the lead's pending call-back with c.
func (s *DeskStore) ScheduleCallback(ctx context.Context, c crm.Callback) (int64, error) {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, c.LeadID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE callbacks SET replaced_at = $2
			WHERE lead_id = $1 AND reminded_at IS NULL AND replaced_at IS NULL`, c.LeadID, c.CreatedAt); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO callbacks (lead_id, manager_id, due_at, created_at) VALUES ($1, $2, $3, $4)
			RETURNING id`, c.LeadID, c.ManagerID, c.DueAt, c.CreatedAt).Scan(&c.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insertEvent, c.LeadID, "callback_scheduled", "system",
			`{"callback_id":`+strconv.FormatInt(c.ID, 10)+`,"due_at":"`+c.DueAt.UTC().Format(time.RFC3339)+`"}`, c.CreatedAt)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("schedule call-back: %w", translate(err, fmt.Sprintf("Lead #%d not found.", c.LeadID)))
	}
	return c.ID, nil
}

const callbackColumns = `c.id, c.lead_id, c.manager_id, c.due_at, c.created_at`

func scanCallback(r pgx.CollectableRow) (crm.Callback, error) {
	var c crm.Callback
	err := r.Scan(&c.ID, &c.LeadID, &c.ManagerID, &c.DueAt, &c.CreatedAt)
	return c, err
}

// DueCallbacks lists pending call-backs of open leads due by t.
func (s *DeskStore) DueCallbacks(ctx context.Context, t time.Time) ([]crm.Callback, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks c JOIN leads l ON l.id = c.lead_id
		WHERE c.reminded_at IS NULL AND c.replaced_at IS NULL AND c.due_at <= $1 AND l.stage IN ('qualified', 'contacted')
		ORDER BY c.due_at, c.id`, t)
	if err != nil {
		return nil, fmt.Errorf("due call-backs: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanCallback)
	if err != nil {
		return nil, fmt.Errorf("due call-backs: %w", err)
	}
	return cs, nil
}

// MarkCallbackDue marks a pending call-back reminded, with its job.
func (s *DeskStore) MarkCallbackDue(ctx context.Context, id int64, at time.Time, job crm.Job) (bool, error) {
	marked := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var leadID int64
		err := tx.QueryRow(ctx, `UPDATE callbacks SET reminded_at = $2
			WHERE id = $1 AND reminded_at IS NULL AND replaced_at IS NULL RETURNING lead_id`, id, at).Scan(&leadID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		marked = true
		if _, err := tx.Exec(ctx, insertEvent, leadID, "callback_due", "system", `{"callback_id":`+strconv.FormatInt(id, 10)+`}`, at); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("mark call-back due: %w", err)
	}
	return marked, nil
}

// Callback returns a call-back by id.
func (s *DeskStore) Callback(ctx context.Context, id int64) (crm.Callback, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks c WHERE c.id = $1`, id)
	if err != nil {
		return crm.Callback{}, fmt.Errorf("call-back: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCallback)
	if err != nil {
		return crm.Callback{}, fmt.Errorf("call-back: %w", translate(err, fmt.Sprintf("call-back %d not found", id)))
	}
	return c, nil
}

// OpenLeads lists the manager's open leads, oldest first, each with its
// next pending call-back.
func (s *DeskStore) OpenLeads(ctx context.Context, managerID int64) ([]crm.OpenLead, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT l.id, c.first_name, c.last_name, c.username, l.stage, l.temperature,
			coalesce(l.qualified_at, l.created_at), l.claimed_at,
			(SELECT min(cb.due_at) FROM callbacks cb WHERE cb.lead_id = l.id AND cb.reminded_at IS NULL AND cb.replaced_at IS NULL)
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.manager_id = $1 AND l.stage IN ('qualified', 'contacted')
		ORDER BY coalesce(l.qualified_at, l.created_at), l.id`, managerID)
	if err != nil {
		return nil, fmt.Errorf("open leads: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.OpenLead, error) {
		var o crm.OpenLead
		var first, last, username, stage, temp string
		err := r.Scan(&o.LeadID, &first, &last, &username, &stage, &temp, &o.QualifiedAt, &o.ClaimedAt, &o.NextCall)
		o.Name = strings.TrimSpace(crm.Contact{FirstName: first, LastName: last, Username: username}.Name())
		o.Stage, o.Temperature = crm.Stage(stage), crm.Temperature(temp)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("open leads: %w", err)
	}
	return out, nil
}

// LastDigest is the end of the latest digest window.
func (s *DeskStore) LastDigest(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	if err := s.db.Pool.QueryRow(ctx, `SELECT max(until) FROM warm_digests`).Scan(&t); err != nil {
		return nil, fmt.Errorf("last digest: %w", err)
	}
	return t, nil
}

// RecordDigest records a digest window with its job, once per end.
func (s *DeskStore) RecordDigest(ctx context.Context, from, to time.Time, job crm.Job) (bool, error) {
	recorded := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO warm_digests (until, since) VALUES ($1, $2) ON CONFLICT DO NOTHING`, to, from)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		recorded = true
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("record digest: %w", err)
	}
	return recorded, nil
}

// DigestWindow is the start of the window that ends at to.
func (s *DeskStore) DigestWindow(ctx context.Context, to time.Time) (time.Time, error) {
	var from time.Time
	if err := s.db.Pool.QueryRow(ctx, `SELECT since FROM warm_digests WHERE until = $1`, to).Scan(&from); err != nil {
		return time.Time{}, fmt.Errorf("digest window: %w", translate(err, "no digest ends at "+to.String()))
	}
	return from, nil
}

// WarmUnclaimed lists warm qualified unclaimed leads qualified in [from, to).
func (s *DeskStore) WarmUnclaimed(ctx context.Context, from, to time.Time) ([]int64, error) {
	return NewSalesStore(s.db).ids(ctx, "warm unclaimed leads", `SELECT id FROM leads WHERE temperature = 'warm' AND stage = 'qualified'
		AND claimed_at IS NULL AND qualified_at >= $1 AND qualified_at < $2 ORDER BY qualified_at, id`, from, to)
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
