package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/voronka/voronka/crm"
)

const leadColumns = `id, contact_id, stage, score, temperature, flow_id, flow_version, step,
	source, medium, campaign, landing, referrer, start_payload, lost_reason,
	created_at, updated_at, qualified_at`

// leadVariants is the lead's experiment arms as one jsonb object (NULL
// when none), a column after leadColumns for the reads the dialogue
// needs: Lead and LatestLead.
const leadVariants = `(SELECT jsonb_object_agg(v.experiment, v.variant) FROM lead_variants v WHERE v.lead_id = leads.id)`

func scanLead(row pgx.Row) (*crm.Lead, error) { return scanLeadWith(row) }

// scanLeadWith scans leadColumns followed by extra columns into extra.
func scanLeadWith(row pgx.Row, extra ...any) (*crm.Lead, error) {
	var l crm.Lead
	a := &l.Attribution
	dest := []any{&l.ID, &l.ContactID, &l.Stage, &l.Score, &l.Temperature,
		&l.FlowID, &l.FlowVersion, &l.Step,
		&a.Source, &a.Medium, &a.Campaign, &a.Landing, &a.Referrer, &a.Payload, &l.LostReason,
		&l.CreatedAt, &l.UpdatedAt, &l.QualifiedAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	utc(&l.CreatedAt)
	utc(&l.UpdatedAt)
	utc(l.QualifiedAt)
	return &l, nil
}

// CreateLead inserts l and its "created" event in one statement, and fills
// l.ID, CreatedAt and UpdatedAt, and Stage and Temperature when l left them
// empty (new, cold). The event is the customer's, dated l.CreatedAt, and
// carries the flow and the non-empty attribution fields so the timeline
// reads on its own. A ContactID that does not exist is ENOTFOUND.
func (s *LeadStore) CreateLead(ctx context.Context, l *crm.Lead) error {
	if l == nil {
		return fmt.Errorf("create lead: %w", crm.Errorf(crm.EINVALID, "no lead given"))
	}
	data := map[string]any{"flow_id": l.FlowID, "flow_version": l.FlowVersion}
	a := l.Attribution
	for k, v := range map[string]string{"source": a.Source, "medium": a.Medium,
		"campaign": a.Campaign, "landing": a.Landing, "referrer": a.Referrer, "payload": a.Payload} {
		if v != "" {
			data[k] = v
		}
	}
	js, err := eventData(data)
	if err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	exps := make([]string, 0, len(l.Variants))
	vars := make([]string, 0, len(l.Variants))
	for _, e := range slices.Sorted(maps.Keys(l.Variants)) {
		exps, vars = append(exps, e), append(vars, l.Variants[e])
	}
	row := s.db.Pool.QueryRow(ctx, `
		WITH l AS (
			INSERT INTO leads (contact_id, stage, score, temperature, flow_id, flow_version, step,
				source, medium, campaign, landing, referrer, start_payload, lost_reason,
				created_at, updated_at, qualified_at)
			VALUES ($1, coalesce(nullif($2::text, ''), 'new'), $3, coalesce(nullif($4::text, ''), 'cold'),
				$5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
				coalesce($15::timestamptz, now()), coalesce($16::timestamptz, $15::timestamptz, now()), $17)
			RETURNING id, stage, temperature, created_at, updated_at
		), e AS (
			INSERT INTO events (lead_id, kind, actor, data, created_at)
			SELECT id, $18, $19, $20::jsonb, created_at FROM l
		), v AS (
			INSERT INTO lead_variants (lead_id, experiment, variant)
			SELECT l.id, x.experiment, x.variant FROM l, unnest($21::text[], $22::text[]) AS x(experiment, variant)
		)
		SELECT id, stage, temperature, created_at, updated_at FROM l`,
		l.ContactID, l.Stage, l.Score, l.Temperature, l.FlowID, l.FlowVersion, l.Step,
		a.Source, a.Medium, a.Campaign, a.Landing, a.Referrer, a.Payload, l.LostReason,
		timeArg(l.CreatedAt), timeArg(l.UpdatedAt), l.QualifiedAt,
		crm.EventCreated, "customer", js, exps, vars)
	if err := row.Scan(&l.ID, &l.Stage, &l.Temperature, &l.CreatedAt, &l.UpdatedAt); err != nil {
		return fmt.Errorf("create lead: %w", translate(err, fmt.Sprintf("contact %d not found", l.ContactID)))
	}
	utc(&l.CreatedAt)
	utc(&l.UpdatedAt)
	return nil
}

// Lead returns a lead by id.
func (s *LeadStore) Lead(ctx context.Context, id int64) (*crm.Lead, error) {
	var vs map[string]string
	l, err := scanLeadWith(s.db.Pool.QueryRow(ctx, `SELECT `+leadColumns+`, `+leadVariants+` FROM leads WHERE id = $1`, id), &vs)
	if err != nil {
		return nil, fmt.Errorf("get lead: %w", translate(err, fmt.Sprintf("lead %d not found", id)))
	}
	l.Variants = vs
	return l, nil
}

// LatestLead returns the contact's most recently created lead (highest id:
// ids are handed out in insertion order, and unlike created_at they never
// tie), ENOTFOUND if it has none or the contact does not exist.
func (s *LeadStore) LatestLead(ctx context.Context, contactID int64) (*crm.Lead, error) {
	var vs map[string]string
	l, err := scanLeadWith(s.db.Pool.QueryRow(ctx, `
		SELECT `+leadColumns+`, `+leadVariants+` FROM leads WHERE contact_id = $1 ORDER BY id DESC LIMIT 1`, contactID), &vs)
	if err != nil {
		return nil, fmt.Errorf("get latest lead: %w",
			translate(err, fmt.Sprintf("contact %d has no lead", contactID)))
	}
	l.Variants = vs
	return l, nil
}

// RestartLead supersedes the lead's current answers at at (they stay in the
// table for the record), puts the lead back to a fresh dialogue waiting on
// step — stage new, score 0, cold — and records a "restarted" event from
// the customer with what was reset, all in one transaction.
//
// A restarted lead is open again, so its qualified_at, lost_reason and
// lost_at are cleared too: they described the dialogue that was thrown
// away, and the events keep that history. Sales fields (manager, claim,
// amount) are left alone.
func (s *LeadStore) RestartLead(ctx context.Context, leadID int64, step string, at time.Time) error {
	if step == "" {
		return fmt.Errorf("restart lead: %w", crm.Errorf(crm.EINVALID, "a restart needs the step to wait on"))
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var (
			stage string
			score int
		)
		if err := tx.QueryRow(ctx, `SELECT stage, score FROM leads WHERE id = $1 FOR UPDATE`,
			leadID).Scan(&stage, &score); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE answers SET superseded_at = coalesce($2::timestamptz, now())
			WHERE lead_id = $1 AND superseded_at IS NULL`, leadID, timeArg(at))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE leads SET stage = 'new', score = 0, temperature = 'cold', step = $2,
				qualified_at = NULL, lost_reason = '', lost_at = NULL,
				updated_at = coalesce($3::timestamptz, now())
			WHERE id = $1`, leadID, step, timeArg(at)); err != nil {
			return err
		}
		js, err := eventData(map[string]any{"step": step, "superseded": tag.RowsAffected(),
			"previous_stage": stage, "previous_score": score})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertEvent, leadID, crm.EventRestarted, "customer", js, timeArg(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("restart lead: %w", translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	return nil
}

// CloseLead moves an open lead (new or qualifying) to lost with reason and
// records ev, dated ev.At, in one transaction. A lead past the dialogue is
// the sales team's to close, so closing it here is ECONFLICT, as is closing
// a lead twice. An ev without a Kind is recorded as a stage change, and one
// without Data gets the new stage and the reason.
func (s *LeadStore) CloseLead(ctx context.Context, leadID int64, reason string, ev crm.Event) error {
	if ev.LeadID != 0 && ev.LeadID != leadID {
		return fmt.Errorf("close lead: %w", crm.Errorf(crm.EINVALID, "event is for lead %d, not %d", ev.LeadID, leadID))
	}
	if ev.Kind == "" {
		ev.Kind = crm.EventStage
	}
	if ev.Data == nil {
		ev.Data = map[string]any{"stage": string(crm.StageLost), "reason": reason}
	}
	js, err := eventData(ev.Data)
	if err != nil {
		return fmt.Errorf("close lead: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE leads SET stage = 'lost', lost_reason = $2,
				lost_at = coalesce($3::timestamptz, now()), updated_at = coalesce($3::timestamptz, now())
			WHERE id = $1 AND stage IN ('new', 'qualifying')`, leadID, reason, timeArg(ev.At))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var stage string
			if err := tx.QueryRow(ctx, `SELECT stage FROM leads WHERE id = $1`, leadID).Scan(&stage); err != nil {
				return err
			}
			return crm.Errorf(crm.ECONFLICT, "lead %d is %s, not open", leadID, stage)
		}
		_, err = tx.Exec(ctx, insertEvent, leadID, ev.Kind, ev.Actor, js, timeArg(ev.At))
		return err
	})
	if err != nil {
		return fmt.Errorf("close lead: %w", translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	return nil
}
