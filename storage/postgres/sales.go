package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// SalesStore is crm.SalesStore on PostgreSQL: the team, assignments,
// claims and stage moves, card references and SLA breaches.
type SalesStore struct {
	db *DB
}

var _ crm.SalesStore = (*SalesStore)(nil)

// NewSalesStore returns a SalesStore on db. Writes that carry jobs need
// the queue (NewQueue) set up on db.
func NewSalesStore(db *DB) *SalesStore { return &SalesStore{db: db} }

// SyncTeam upserts the configured team by name and deactivates the rest.
// Working hours are not mirrored: the configuration is where routing reads
// them, and the table exists so leads and events can name a manager.
func (s *SalesStore) SyncTeam(ctx context.Context, team []crm.Manager) ([]crm.Manager, error) {
	out := make([]crm.Manager, len(team))
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		names := make([]string, len(team))
		for i, m := range team {
			names[i] = m.Name
			err := tx.QueryRow(ctx, `
				INSERT INTO managers (name, role, slack_id, telegram_id, on_duty, time_zone, max_open, active, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, true, now())
				ON CONFLICT (name) DO UPDATE SET role = excluded.role, slack_id = excluded.slack_id,
					telegram_id = excluded.telegram_id, on_duty = excluded.on_duty, time_zone = excluded.time_zone,
					max_open = excluded.max_open, active = true, updated_at = now()
				RETURNING id`,
				m.Name, string(m.Role), m.SlackID, m.TelegramID, m.OnDuty, m.TimeZone, m.MaxOpen).Scan(&m.ID)
			if err != nil {
				return translate(err, "manager")
			}
			out[i] = m
		}
		_, err := tx.Exec(ctx, `UPDATE managers SET active = false, updated_at = now() WHERE active AND NOT (name = ANY($1))`, names)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sync team: %w", err)
	}
	return out, nil
}

// Card reads a lead's card facts: the lead, its contact and its current
// answers in one round trip (a batch; the contact found through the
// lead), since every alert, redraw and relay reads a card.
func (s *SalesStore) Card(ctx context.Context, leadID int64) (*crm.LeadCard, int64, error) {
	c, assignee, _, err := s.card(ctx, leadID, false)
	return c, assignee, err
}

// CardWithRefs is Card with the card's references (channel -> ref), the
// lead_cards rows read in the same batch: an alert or a redraw costs one
// round trip to learn both.
func (s *SalesStore) CardWithRefs(ctx context.Context, leadID int64) (*crm.LeadCard, int64, map[string]string, error) {
	return s.card(ctx, leadID, true)
}

// card is Card, with the references too when refs.
func (s *SalesStore) card(ctx context.Context, leadID int64, withRefs bool) (*crm.LeadCard, int64, map[string]string, error) {
	batch := &pgx.Batch{}
	batch.Queue(`SELECT `+leadColumns+`, manager_id, claimed_at, contacted_at, amount::float8,
			(SELECT count(*) FROM sla_breaches b WHERE b.lead_id = leads.id AND b.kind = 'claim'), waiting, alerted_at
		FROM leads WHERE id = $1`, leadID)
	batch.Queue(`SELECT `+contactColumns+` FROM contacts WHERE id = (SELECT contact_id FROM leads WHERE id = $1)`, leadID)
	batch.Queue(`SELECT step_id, kind, value, score FROM answers WHERE lead_id = $1 AND superseded_at IS NULL ORDER BY id`, leadID)
	if withRefs {
		batch.Queue(`SELECT channel, ref FROM lead_cards WHERE lead_id = $1`, leadID)
	}
	br := s.db.Pool.SendBatch(ctx, batch)
	defer br.Close()

	c := &crm.LeadCard{}
	var assignee *int64
	var amount *float64
	l, err := scanLeadWith(br.QueryRow(), &assignee, &c.ClaimedAt, &c.ContactedAt, &amount, &c.Escalations, &c.Waiting, &c.AlertedAt)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("lead card: %w", translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	c.Lead = *l
	utc(c.ClaimedAt)
	utc(c.ContactedAt)
	utc(c.AlertedAt)
	if amount != nil {
		c.Amount = *amount
	}
	if err := scanContact(br.QueryRow(), &c.Contact); err != nil {
		return nil, 0, nil, fmt.Errorf("lead card: %w", translate(err, fmt.Sprintf("contact %d not found", l.ContactID)))
	}
	rows, err := br.Query()
	if err != nil {
		return nil, 0, nil, fmt.Errorf("lead card: answers: %w", err)
	}
	for rows.Next() {
		var a crm.CardAnswer
		if err := rows.Scan(&a.Question, &a.Kind, &a.Value, &a.Score); err != nil {
			return nil, 0, nil, fmt.Errorf("lead card: answers: %w", err)
		}
		c.Answers = append(c.Answers, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, nil, fmt.Errorf("lead card: answers: %w", err)
	}
	var refs map[string]string
	if withRefs {
		if refs, err = scanRefs(br); err != nil {
			return nil, 0, nil, fmt.Errorf("lead card: refs: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, 0, nil, fmt.Errorf("lead card: %w", err)
	}
	c.Claimed = c.ClaimedAt != nil
	var id int64
	if assignee != nil {
		id = *assignee
	}
	return c, id, refs, nil
}

// scanRefs reads the batch's next result, lead_cards' channel and ref,
// as channel -> ref.
func scanRefs(br pgx.BatchResults) (map[string]string, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := map[string]string{}
	for rows.Next() {
		var ch, ref string
		if err := rows.Scan(&ch, &ref); err != nil {
			return nil, err
		}
		refs[ch] = ref
	}
	return refs, rows.Err()
}

// SaveCardRef records where a card was posted and returns the stored
// reference: the first post wins. One statement does what an INSERT and a
// read back of the lead's references did: on a conflict the no-op update
// returns the row that is there (an ON CONFLICT DO NOTHING returns none,
// and a read in the same statement would not see a row a concurrent alert
// committed after it began). The update is a heap-only tuple, on the rare
// path only: a retried or concurrent alert. With p.Alerted the lead's
// alerted_at is set too (MarkAlerted's guarded UPDATE, in the same
// statement): the alert's last card costs one round trip, not two.
func (s *SalesStore) SaveCardRef(ctx context.Context, p crm.CardPost) (string, error) {
	var stored string
	err := s.db.Pool.QueryRow(ctx, `WITH alerted AS (
			UPDATE leads SET alerted_at = $4 WHERE $5 AND id = $1 AND alerted_at IS NULL)
		INSERT INTO lead_cards (lead_id, channel, ref, posted_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (lead_id, channel) DO UPDATE SET ref = lead_cards.ref
		RETURNING ref`, p.LeadID, p.Channel, p.Ref, p.At, p.Alerted).Scan(&stored)
	if err != nil {
		return "", fmt.Errorf("save card ref: %w", translate(err, fmt.Sprintf("lead %d not found", p.LeadID)))
	}
	return stored, nil
}

// MarkAlerted sets alerted_at once.
func (s *SalesStore) MarkAlerted(ctx context.Context, leadID int64, at time.Time) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE leads SET alerted_at = $2 WHERE id = $1 AND alerted_at IS NULL`, leadID, at)
	if err != nil {
		return fmt.Errorf("mark alerted: %w", err)
	}
	return nil
}

// OpenLoad counts qualified and contacted leads per manager.
func (s *SalesStore) OpenLoad(ctx context.Context) (map[int64]int, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT manager_id, count(*) FROM leads
		WHERE manager_id IS NOT NULL AND stage IN ('qualified', 'contacted') GROUP BY manager_id`)
	if err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	load := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("open load: %w", err)
		}
		load[id] = n
	}
	return load, rows.Err()
}

// LastAssignee is the manager of the most recent assignment.
func (s *SalesStore) LastAssignee(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT manager_id FROM leads WHERE manager_id IS NOT NULL AND assigned_at IS NOT NULL
		ORDER BY assigned_at DESC, id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last assignee: %w", err)
	}
	return id, nil
}

// PreviousManager is the manager of the contact's latest other lead.
func (s *SalesStore) PreviousManager(ctx context.Context, contactID, exceptLead int64) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT manager_id FROM leads WHERE contact_id = $1 AND id <> $2 AND manager_id IS NOT NULL
		ORDER BY id DESC LIMIT 1`, contactID, exceptLead).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("previous manager: %w", err)
	}
	return id, nil
}

// assignLead is Assign's UPDATE with its "assigned" event, one statement:
// the event is inserted only when the guarded UPDATE changed the row, and
// the lead comes back as a read would give it, so that the alert puts it
// on its card instead of reading the card again.
const assignLead = `WITH assigned AS (
		UPDATE leads SET manager_id = $2, assigned_at = $3, waiting = false, updated_at = $3
		WHERE id = $1 AND claimed_at IS NULL
		RETURNING ` + leadColumns + `),
	event AS (
		INSERT INTO events (lead_id, kind, actor, data, created_at)
		SELECT id, 'assigned', 'system', $4::jsonb, $3 FROM assigned)
	SELECT ` + leadColumns + ` FROM assigned`

// Assign gives an unclaimed lead to a manager and returns the lead as
// stored. Without jobs it is one statement, one round trip (what every
// routed alert pays); with jobs (the queue's sweep) a transaction, since
// River inserts them on its own.
func (s *SalesStore) Assign(ctx context.Context, leadID, managerID int64, at time.Time, jobs []crm.Job) (*crm.Lead, error) {
	data := `{"manager_id":` + strconv.FormatInt(managerID, 10) + `}`
	var lead *crm.Lead
	assign := func(q interface {
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}) error {
		var err error
		lead, err = scanLead(q.QueryRow(ctx, assignLead, leadID, managerID, at, data))
		if errors.Is(err, pgx.ErrNoRows) {
			return crm.Errorf(crm.ECONFLICT, "lead %d is already claimed or gone", leadID)
		}
		return translate(err, "lead")
	}
	var err error
	if len(jobs) == 0 {
		err = assign(s.db.Pool)
	} else {
		err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
			if err := assign(tx); err != nil {
				return err
			}
			return s.db.enqueue(ctx, tx, jobs)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("assign lead: %w", err)
	}
	return lead, nil
}

// SetWaiting queues a lead for the next rep on duty: the guarded UPDATE
// and its "waiting" event in one statement. ECONFLICT when the lead was
// claimed or already waiting (nothing written).
func (s *SalesStore) SetWaiting(ctx context.Context, leadID int64, at time.Time) error {
	tag, err := s.db.Pool.Exec(ctx, `WITH queued AS (
			UPDATE leads SET waiting = true WHERE id = $1 AND NOT waiting AND claimed_at IS NULL
			RETURNING id)
		INSERT INTO events (lead_id, kind, actor, data, created_at)
		SELECT id, 'waiting', 'system', '{}'::jsonb, $2::timestamptz FROM queued`, leadID, at)
	if err != nil {
		return fmt.Errorf("set waiting: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set waiting: %w", crm.Errorf(crm.ECONFLICT, "lead %d is claimed, queued already or gone", leadID))
	}
	return nil
}

// Waiting lists queued leads, oldest first.
func (s *SalesStore) Waiting(ctx context.Context) ([]int64, error) {
	return s.ids(ctx, "waiting leads", `SELECT id FROM leads WHERE waiting AND claimed_at IS NULL AND stage = 'qualified'
		ORDER BY qualified_at, id`)
}

// Act applies a rep's action with a guarded UPDATE, so two reps pressing
// Claim at once cannot both win: the second finds claimed_at set.
func (s *SalesStore) Act(ctx context.Context, a crm.Action, anyOwner bool, jobs []crm.Job) (*crm.Lead, error) {
	var lead *crm.Lead
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var q string
		args := []any{a.LeadID, a.By.ID, a.At, anyOwner}
		owner := `(manager_id = $2 OR $4)`
		switch a.Kind {
		case crm.ActClaim:
			q = `UPDATE leads SET manager_id = $2, claimed_at = $3, assigned_at = coalesce(assigned_at, $3), waiting = false, updated_at = $3
				WHERE id = $1 AND stage = 'qualified' AND claimed_at IS NULL AND (manager_id IS NULL OR ` + owner + `)`
		case crm.ActContacted:
			q = `UPDATE leads SET stage = 'contacted', contacted_at = $3, updated_at = $3
				WHERE id = $1 AND stage = 'qualified' AND claimed_at IS NOT NULL AND ` + owner
		case crm.ActWon:
			q = `UPDATE leads SET stage = 'won', won_at = $3, amount = $5, updated_at = $3
				WHERE id = $1 AND stage IN ('qualified', 'contacted') AND claimed_at IS NOT NULL AND ` + owner
			args = append(args, a.Amount)
		case crm.ActLost:
			q = `UPDATE leads SET stage = 'lost', lost_at = $3, lost_reason = $5, waiting = false, updated_at = $3
				WHERE id = $1 AND stage IN ('qualified', 'contacted') AND ((claimed_at IS NOT NULL AND ` + owner + `) OR $4)`
			args = append(args, a.Reason)
		case crm.ActReopen:
			// Back to where it was: contacted when it had been, else
			// qualified; the rep keeps it. The lead's own rep, a head, or
			// anyone for a lead lost before it was claimed.
			q = `UPDATE leads SET stage = CASE WHEN contacted_at IS NOT NULL THEN 'contacted' ELSE 'qualified' END,
					lost_at = NULL, lost_reason = '', updated_at = $3
				WHERE id = $1 AND stage = 'lost' AND (manager_id IS NULL OR ` + owner + `)`
		default:
			return crm.Errorf(crm.EINVALID, "unknown action %q", a.Kind)
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return translate(err, fmt.Sprintf("lead %d not found", a.LeadID))
		}
		if tag.RowsAffected() == 0 {
			return s.refusal(ctx, tx, a)
		}
		data := map[string]any{"manager_id": a.By.ID, "manager": a.By.Name}
		kind := crm.EventStage
		switch a.Kind {
		case crm.ActClaim:
			kind = "claimed"
		case crm.ActContacted:
			data["to"] = string(crm.StageContacted)
		case crm.ActWon:
			data["to"], data["amount"] = string(crm.StageWon), a.Amount
		case crm.ActLost:
			data["to"], data["reason"] = string(crm.StageLost), a.Reason
		case crm.ActReopen:
			var to string
			if err := tx.QueryRow(ctx, `SELECT stage FROM leads WHERE id = $1`, a.LeadID).Scan(&to); err != nil {
				return err
			}
			data["to"], data["from"], data["reopened"] = to, string(crm.StageLost), true
		}
		js, err := eventData(data)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, a.LeadID, kind, a.By.Name, js, a.At); err != nil {
			return err
		}
		if err := s.db.enqueue(ctx, tx, jobs); err != nil {
			return err
		}
		lead, err = scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, a.LeadID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return lead, nil
}

// refusal explains why an action did not apply, for the rep who pressed:
// what is already done first (a press that is a repeat, by the owner or
// anyone, is told so rather than whose lead it is), then whose lead it is.
func (s *SalesStore) refusal(ctx context.Context, tx pgx.Tx, a crm.Action) error {
	var stage string
	var claimed bool
	var ownerID *int64
	var owner *string
	err := tx.QueryRow(ctx, `SELECT l.stage, l.claimed_at IS NOT NULL, l.manager_id, m.name FROM leads l
		LEFT JOIN managers m ON m.id = l.manager_id WHERE l.id = $1`, a.LeadID).Scan(&stage, &claimed, &ownerID, &owner)
	if err != nil {
		return translate(err, fmt.Sprintf("lead %d not found", a.LeadID))
	}
	name := "someone else"
	if owner != nil {
		name = *owner
	}
	mine := ownerID != nil && *ownerID == a.By.ID
	switch {
	case a.Kind == crm.ActReopen && stage != string(crm.StageLost):
		return crm.Errorf(crm.ECONFLICT, "lead #%d is %s, not lost", a.LeadID, stage)
	case a.Kind == crm.ActReopen:
		return crm.Errorf(crm.EFORBIDDEN, "lead #%d is %s's", a.LeadID, name)
	case stage == string(crm.StageWon) || stage == string(crm.StageLost):
		return crm.Errorf(crm.ECONFLICT, "lead #%d is already %s", a.LeadID, stage)
	case a.Kind == crm.ActContacted && stage == string(crm.StageContacted):
		return crm.Errorf(crm.ECONFLICT, "lead #%d is already contacted", a.LeadID)
	case a.Kind == crm.ActClaim && claimed && mine:
		return crm.Errorf(crm.ECONFLICT, "lead #%d is already yours", a.LeadID)
	case a.Kind == crm.ActClaim && claimed:
		return crm.Errorf(crm.ECONFLICT, "lead #%d is already claimed by %s", a.LeadID, name)
	case a.Kind == crm.ActClaim && owner != nil:
		return crm.Errorf(crm.EFORBIDDEN, "lead #%d is assigned to %s", a.LeadID, name)
	case a.Kind == crm.ActClaim:
		return crm.Errorf(crm.ECONFLICT, "lead #%d is %s and cannot be claimed", a.LeadID, stage)
	case !claimed:
		return crm.Errorf(crm.ECONFLICT, "claim lead #%d first", a.LeadID)
	case owner != nil && a.Kind != crm.ActClaim:
		return crm.Errorf(crm.EFORBIDDEN, "lead #%d is %s's", a.LeadID, name)
	}
	return crm.Errorf(crm.ECONFLICT, "lead #%d is %s", a.LeadID, stage)
}

// DueClaimBreaches lists hot leads alerted before t and still unclaimed.
func (s *SalesStore) DueClaimBreaches(ctx context.Context, t time.Time) ([]int64, error) {
	return s.ids(ctx, "due claim breaches", `SELECT id FROM leads l WHERE claimed_at IS NULL AND stage = 'qualified'
		AND alerted_at < $1 AND temperature = 'hot'
		AND NOT EXISTS (SELECT 1 FROM sla_breaches b WHERE b.lead_id = l.id AND b.kind = 'claim')
		ORDER BY alerted_at, id`, t)
}

// DueContactBreaches lists leads claimed before t and still not contacted.
func (s *SalesStore) DueContactBreaches(ctx context.Context, t time.Time) ([]int64, error) {
	return s.ids(ctx, "due contact breaches", `SELECT id FROM leads l WHERE stage = 'qualified' AND claimed_at IS NOT NULL
		AND claimed_at < $1
		AND NOT EXISTS (SELECT 1 FROM sla_breaches b WHERE b.lead_id = l.id AND b.kind = 'contact')
		ORDER BY claimed_at, id`, t)
}

// RecordBreach records a breach once, with its event and job.
func (s *SalesStore) RecordBreach(ctx context.Context, leadID int64, kind string, at time.Time, job crm.Job) (bool, error) {
	recorded := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO sla_breaches (lead_id, kind, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, leadID, kind, at)
		if err != nil {
			return translate(err, fmt.Sprintf("lead %d not found", leadID))
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		recorded = true
		if _, err := tx.Exec(ctx, insertEvent, leadID, "sla_breached", "system", `{"sla":"`+kind+`"}`, at); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("record breach: %w", err)
	}
	return recorded, nil
}

// WarmQualified lists warm leads qualified in [from, to).
func (s *SalesStore) WarmQualified(ctx context.Context, from, to time.Time) ([]int64, error) {
	return s.ids(ctx, "warm leads", `SELECT id FROM leads WHERE temperature = 'warm' AND stage = 'qualified'
		AND qualified_at >= $1 AND qualified_at < $2 ORDER BY qualified_at, id`, from, to)
}

// Enqueue queues jobs in their own transaction.
func (s *SalesStore) Enqueue(ctx context.Context, jobs ...crm.Job) error {
	if s.db.queue == nil {
		return errors.New("enqueue: no queue is set up on this database")
	}
	return s.db.queue.Enqueue(ctx, jobs...)
}

func (s *SalesStore) ids(ctx context.Context, what, q string, args ...any) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ids, nil
}
