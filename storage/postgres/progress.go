package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/voronka/voronka/crm"
)

// errAnswered marks, inside SaveProgress's batch, that the answer insert
// did nothing because the step already has a current answer.
var errAnswered = errors.New("step already answered")

// SaveProgress applies everything one customer update changed in a single
// transaction: the answer, the lead's score, stage, temperature and step,
// the contact's phone and email, and p.Events. An answer without jobs (all
// but a dialogue's last) is one statement, one round trip (saveAnswerSQL);
// otherwise the statements go to the server as one batch in a transaction
// that River's job insert joins, three round trips (begin, batch, commit)
// however many events it carries.
//
// The answer is inserted with ON CONFLICT DO NOTHING against the unique
// index on a step's current answer. When it inserts nothing — the update was
// delivered twice, or another replica got there first — the transaction is
// rolled back and the result is ECONFLICT, so the lead, the contact and the
// timeline change exactly once per answered step. After a commit
// p.Answer.ID holds the new answer's id.
//
// Everything is dated p.At (the answer p.Answer.At when set). qualified_at
// is set the first time the stage becomes qualified. An empty p.Stage or
// p.Temperature keeps the stored one; p.Step is always written, as "" means
// the dialogue is finished. The phone and email go to the lead's own
// contact: a p.ContactID naming another contact is EINVALID.
func (s *LeadStore) SaveProgress(ctx context.Context, p crm.Progress) error {
	if err := s.saveProgress(ctx, p); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	return nil
}

func (s *LeadStore) saveProgress(ctx context.Context, p crm.Progress) error {
	if p.LeadID == 0 {
		return crm.Errorf(crm.EINVALID, "progress needs a lead")
	}
	if a := p.Answer; a != nil {
		if a.StepID == "" {
			return crm.Errorf(crm.EINVALID, "an answer needs a step")
		}
		if a.LeadID != 0 && a.LeadID != p.LeadID {
			return crm.Errorf(crm.EINVALID, "answer is for lead %d, not %d", a.LeadID, p.LeadID)
		}
	}
	events := make([]string, len(p.Events))
	for i, e := range p.Events {
		if e.Kind == "" {
			return crm.Errorf(crm.EINVALID, "an event needs a kind")
		}
		if e.LeadID != 0 && e.LeadID != p.LeadID {
			return crm.Errorf(crm.EINVALID, "event is for lead %d, not %d", e.LeadID, p.LeadID)
		}
		js, err := eventData(e.Data)
		if err != nil {
			return err
		}
		events[i] = js
	}
	notFound := fmt.Sprintf("lead %d not found", p.LeadID)
	if p.Answer != nil && len(p.Jobs) == 0 {
		return s.saveAnswer(ctx, p, events, notFound)
	}

	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	// A no-op after Commit; on any early return it undoes the batch.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var (
		b        pgx.Batch
		answerID int64
	)
	if a := p.Answer; a != nil {
		at := a.At
		if at.IsZero() {
			at = p.At
		}
		b.Queue(`
			INSERT INTO answers (lead_id, step_id, kind, value, score, update_id, created_at)
			VALUES ($1, $2, $3, $4, $5, nullif($6::bigint, 0), coalesce($7::timestamptz, now()))
			ON CONFLICT (lead_id, step_id) WHERE superseded_at IS NULL DO NOTHING
			RETURNING id`,
			p.LeadID, a.StepID, a.Kind, a.Value, a.Score, a.UpdateID, timeArg(at),
		).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&answerID); errors.Is(err, pgx.ErrNoRows) {
				return errAnswered
			} else if err != nil {
				return err
			}
			return nil
		})
	}
	b.Queue(`
		UPDATE leads SET
			score        = $2,
			stage        = coalesce(nullif($3::text, ''), stage),
			temperature  = coalesce(nullif($4::text, ''), temperature),
			step         = $5,
			updated_at   = coalesce($6::timestamptz, now()),
			qualified_at = CASE
				WHEN qualified_at IS NULL AND coalesce(nullif($3::text, ''), stage) = 'qualified'
				THEN coalesce($6::timestamptz, now())
				ELSE qualified_at END
		WHERE id = $1
		RETURNING contact_id`,
		p.LeadID, p.Score, p.Stage, p.Temperature, p.Step, timeArg(p.At),
	).QueryRow(func(row pgx.Row) error {
		var contactID int64
		if err := row.Scan(&contactID); err != nil {
			return err
		}
		if p.ContactID != 0 && p.ContactID != contactID {
			return crm.Errorf(crm.EINVALID, "lead %d belongs to contact %d, not %d", p.LeadID, contactID, p.ContactID)
		}
		return nil
	})
	if p.Phone != "" || p.Email != "" {
		b.Queue(`
			UPDATE contacts SET
				phone      = coalesce(nullif($2::text, ''), phone),
				email      = coalesce(nullif($3::text, ''), email),
				updated_at = coalesce($4::timestamptz, now())
			WHERE id = (SELECT contact_id FROM leads WHERE id = $1)`,
			p.LeadID, p.Phone, p.Email, timeArg(p.At))
	}
	for i, e := range p.Events {
		at := e.At
		if at.IsZero() {
			at = p.At
		}
		b.Queue(insertEvent, p.LeadID, e.Kind, e.Actor, events[i], timeArg(at))
	}

	// Close runs the callbacks in order and stops at the first error, so a
	// conflict on the answer is reported as such, not as a later statement
	// failing in an aborted transaction.
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		if errors.Is(err, errAnswered) {
			return crm.Errorf(crm.ECONFLICT, "step %q of lead %d is already answered", p.Answer.StepID, p.LeadID)
		}
		return translate(err, notFound)
	}
	if err := s.db.enqueue(ctx, tx, p.Jobs); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if p.Answer != nil {
		p.Answer.ID = answerID
	}
	return nil
}

// saveAnswerSQL is an answer without jobs in one statement: PostgreSQL
// runs a statement as its own transaction, and the data-modifying CTEs
// below see one snapshot, so every write is conditional on the answer's
// insert and all or none of them happen. That is one round trip where
// the transaction took three (BEGIN, the batch, COMMIT); an answer is what
// nearly every customer update writes, so on a machine where the bot,
// PostgreSQL and Redis share two cores the round trips, not the SQL, were
// the cost. The lead is read first so that a missing lead (no contact_id)
// and another contact's lead (ok is empty, so nothing is inserted) are
// told apart from a step already answered (no answer id).
const saveAnswerSQL = `
WITH lead AS (
	SELECT contact_id FROM leads WHERE id = $1
), ok AS (
	SELECT contact_id FROM lead WHERE $2::bigint = 0 OR contact_id = $2
), a AS (
	INSERT INTO answers (lead_id, step_id, kind, value, score, update_id, created_at)
	SELECT $1, $3, $4, $5, $6, nullif($7::bigint, 0), coalesce($8::timestamptz, now()) FROM ok
	ON CONFLICT (lead_id, step_id) WHERE superseded_at IS NULL DO NOTHING
	RETURNING id
), l AS (
	UPDATE leads SET
		score        = $9,
		stage        = coalesce(nullif($10::text, ''), stage),
		temperature  = coalesce(nullif($11::text, ''), temperature),
		step         = $12,
		updated_at   = coalesce($13::timestamptz, now()),
		qualified_at = CASE
			WHEN qualified_at IS NULL AND coalesce(nullif($10::text, ''), stage) = 'qualified'
			THEN coalesce($13::timestamptz, now())
			ELSE qualified_at END
	WHERE id = $1 AND EXISTS (SELECT 1 FROM a)
	RETURNING contact_id
), c AS (
	UPDATE contacts SET
		phone      = coalesce(nullif($14::text, ''), phone),
		email      = coalesce(nullif($15::text, ''), email),
		updated_at = coalesce($13::timestamptz, now())
	WHERE id = (SELECT contact_id FROM l) AND ($14::text <> '' OR $15::text <> '')
), e AS (
	INSERT INTO events (lead_id, kind, actor, data, created_at)
	SELECT $1, x.kind, x.actor, x.data::jsonb, coalesce(x.at, now())
	FROM unnest($16::text[], $17::text[], $18::text[], $19::timestamptz[]) WITH ORDINALITY AS x(kind, actor, data, at, n)
	WHERE EXISTS (SELECT 1 FROM a)
	ORDER BY x.n
)
SELECT (SELECT contact_id FROM lead), (SELECT id FROM a)`

// saveAnswer is SaveProgress for an answer that queues no job, in one
// statement (saveAnswerSQL). Same outcomes as the transaction: ENOTFOUND,
// EINVALID for another contact's lead, ECONFLICT for a step answered
// already, with nothing written in each case.
func (s *LeadStore) saveAnswer(ctx context.Context, p crm.Progress, events []string, notFound string) error {
	a := p.Answer
	at := a.At
	if at.IsZero() {
		at = p.At
	}
	kinds := make([]string, len(p.Events))
	actors := make([]string, len(p.Events))
	times := make([]pgtype.Timestamptz, len(p.Events))
	for i, e := range p.Events {
		kinds[i], actors[i] = e.Kind, e.Actor
		t := e.At
		if t.IsZero() {
			t = p.At
		}
		times[i] = pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
	}
	var (
		contactID *int64
		answerID  *int64
	)
	err := s.db.answers.do(ctx, []any{
		p.LeadID, p.ContactID, a.StepID, a.Kind, a.Value, a.Score, a.UpdateID, timeArg(at),
		p.Score, p.Stage, p.Temperature, p.Step, timeArg(p.At), p.Phone, p.Email,
		kinds, actors, events, times,
	}, &contactID, &answerID)
	switch {
	case err != nil:
		return translate(err, notFound)
	case contactID == nil:
		return crm.Errorf(crm.ENOTFOUND, "%s", notFound)
	case p.ContactID != 0 && *contactID != p.ContactID:
		return crm.Errorf(crm.EINVALID, "lead %d belongs to contact %d, not %d", p.LeadID, *contactID, p.ContactID)
	case answerID == nil:
		return crm.Errorf(crm.ECONFLICT, "step %q of lead %d is already answered", a.StepID, p.LeadID)
	}
	a.ID = *answerID
	return nil
}

const answerColumns = `id, lead_id, step_id, kind, value, score, coalesce(update_id, 0), created_at`

// scanAnswer scans answerColumns.
func scanAnswer(row pgx.CollectableRow) (crm.Answer, error) {
	var a crm.Answer
	err := row.Scan(&a.ID, &a.LeadID, &a.StepID, &a.Kind, &a.Value, &a.Score, &a.UpdateID, &a.At)
	utc(&a.At)
	return a, err
}

// Answers returns the lead's current answers in the order they were given;
// superseded ones stay in the table but are not listed. A lead that does
// not exist is ENOTFOUND.
func (s *LeadStore) Answers(ctx context.Context, leadID int64) ([]crm.Answer, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT `+answerColumns+` FROM answers WHERE lead_id = $1 AND superseded_at IS NULL ORDER BY id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("list answers: %w", err)
	}
	out, err := pgx.AppendRows([]crm.Answer(nil), rows, scanAnswer)
	if err != nil {
		return nil, fmt.Errorf("list answers: %w", err)
	}
	if len(out) == 0 {
		if err := s.leadExists(ctx, leadID); err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
	}
	return out, nil
}
