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

// EngagementStore is crm.EngagementStore on PostgreSQL: NPS surveys,
// follow-ups of stalled and lost leads, and the customer's consent
// (/stop, a blocked bot, /forget).
//
// Every write that sends something inserts its row and its job in one
// transaction, against a unique key (one survey per lead, one follow-up
// per lead and purpose), so a sweep that runs twice, or on two replicas at
// once, queues each message once. Writes that need the queue need
// NewQueue to have run on the same DB.
//
// Times are the caller's, as in LeadStore: a zero time falls back to the
// database's now(), and times come back in UTC.
type EngagementStore struct {
	db *DB
}

var _ crm.EngagementStore = (*EngagementStore)(nil)

// NewEngagementStore returns an EngagementStore on db.
func NewEngagementStore(db *DB) *EngagementStore { return &EngagementStore{db: db} }

// reachable is the SQL condition, on contacts aliased c, that a customer
// may get unsolicited messages: we know their chat, and they have not said
// /stop, blocked the bot or been forgotten. It mirrors crm.Reach.Allowed.
const reachable = `c.chat_id IS NOT NULL AND c.stopped_at IS NULL
	AND c.unreachable_at IS NULL AND c.erased_at IS NULL`

// dueColumns are what a sweep needs of a lead (aliased l) and its contact
// (c), in crm.Due's order; the last one is Since and differs per sweep.
const dueColumns = `l.id, l.contact_id, coalesce(l.manager_id, 0), l.flow_id, c.time_zone`

// surveyDue is the SQL condition that lead X is owed a survey: won before
// $1, without a survey of its own, and either its contact had no survey
// created after $2 (the repeat limit) or it is the contact's first
// purchase, which always gets one. The first purchase is the earliest
// won_at, the lower id breaking a tie.
func surveyDue(x string) string {
	return strings.NewReplacer("X.", x+".").Replace(`X.stage = 'won' AND X.won_at < $1
		AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.lead_id = X.id)
		AND (NOT EXISTS (SELECT 1 FROM surveys s WHERE s.contact_id = X.contact_id AND s.created_at > $2)
			OR NOT EXISTS (SELECT 1 FROM leads p WHERE p.contact_id = X.contact_id AND p.won_at IS NOT NULL
				AND (p.won_at, p.id) < (X.won_at, X.id)))`)
}

// DueSurveys lists won leads owed an NPS survey, by lead id after
// afterLead, at most limit (which must be positive).
//
// A contact with several leads due at once is listed with the lowest of
// them only: the repeat limit is about the customer, and a sweep creates
// a survey for everything it is given, so listing both would survey them
// twice in one tick. Once that survey exists the others wait out the
// repeat limit like any later purchase.
//
// Due.Since is won_at.
func (s *EngagementStore) DueSurveys(ctx context.Context, wonBefore, surveyedAfter time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("due surveys: %w", crm.Errorf(crm.EINVALID, "a page needs a positive limit"))
	}
	due, err := s.due(ctx, `SELECT `+dueColumns+`, l.won_at
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.id > $3 AND `+surveyDue("l")+` AND `+reachable+`
			AND NOT EXISTS (SELECT 1 FROM leads o WHERE o.contact_id = l.contact_id AND o.id < l.id AND `+surveyDue("o")+`)
		ORDER BY l.id LIMIT $4`, wonBefore, surveyedAfter, afterLead, limit)
	if err != nil {
		return nil, fmt.Errorf("due surveys: %w", err)
	}
	return due, nil
}

// due runs a sweep's query whose columns are dueColumns and Since.
func (s *EngagementStore) due(ctx context.Context, q string, args ...any) ([]crm.Due, error) {
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (crm.Due, error) {
		var d crm.Due
		err := row.Scan(&d.LeadID, &d.ContactID, &d.ManagerID, &d.FlowID, &d.TimeZone, &d.Since)
		utc(&d.Since)
		return d, err
	})
}

// CreateSurvey inserts the lead's survey and queues job for it, keyed by
// the new survey's id, in one transaction; it fills s.ID, and s.ContactID
// and s.ManagerID from the lead when they are zero. When the lead already
// has a survey it changes nothing, leaves s as it was and returns false.
// A missing lead is ENOTFOUND; a ContactID that is not the lead's is
// EINVALID. DueAt and CreatedAt default to now; job.LeadID to the lead.
func (s *EngagementStore) CreateSurvey(ctx context.Context, sv *crm.Survey, job crm.Job) (bool, error) {
	if sv == nil {
		return false, fmt.Errorf("create survey: %w", crm.Errorf(crm.EINVALID, "no survey given"))
	}
	var (
		created bool
		out     = *sv
	)
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var (
			contactID int64
			managerID *int64
		)
		if err := tx.QueryRow(ctx, `SELECT contact_id, manager_id FROM leads WHERE id = $1`,
			sv.LeadID).Scan(&contactID, &managerID); err != nil {
			return err
		}
		if out.ContactID == 0 {
			out.ContactID = contactID
		} else if out.ContactID != contactID {
			return crm.Errorf(crm.EINVALID, "lead %d belongs to contact %d, not %d", sv.LeadID, contactID, out.ContactID)
		}
		if out.ManagerID == 0 && managerID != nil {
			out.ManagerID = *managerID
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO surveys (lead_id, contact_id, manager_id, due_at, created_at)
			VALUES ($1, $2, nullif($3::bigint, 0), coalesce($4::timestamptz, now()), coalesce($5::timestamptz, now()))
			ON CONFLICT (lead_id) DO NOTHING
			RETURNING id, due_at, created_at`,
			out.LeadID, out.ContactID, out.ManagerID, timeArg(out.DueAt), timeArg(out.CreatedAt),
		).Scan(&out.ID, &out.DueAt, &out.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // the lead has its survey already
		}
		if err != nil {
			return err
		}
		created = true
		job.Key = strconv.FormatInt(out.ID, 10)
		if job.LeadID == 0 {
			job.LeadID = out.LeadID
		}
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("create survey: %w", translate(err, fmt.Sprintf("lead %d not found", sv.LeadID)))
	}
	if created {
		utc(&out.DueAt)
		utc(&out.CreatedAt)
		*sv = out
	}
	return created, nil
}

const surveyColumns = `id, lead_id, contact_id, coalesce(manager_id, 0), due_at, sent_at,
	score, answered_at, comment, commented_at, created_at`

func scanSurvey(row pgx.Row) (*crm.Survey, error) {
	var s crm.Survey
	if err := row.Scan(&s.ID, &s.LeadID, &s.ContactID, &s.ManagerID, &s.DueAt, &s.SentAt,
		&s.Score, &s.AnsweredAt, &s.Comment, &s.CommentedAt, &s.CreatedAt); err != nil {
		return nil, err
	}
	utc(&s.DueAt)
	utc(s.SentAt)
	utc(s.AnsweredAt)
	utc(s.CommentedAt)
	utc(&s.CreatedAt)
	return &s, nil
}

// Survey returns a survey by id.
func (s *EngagementStore) Survey(ctx context.Context, id int64) (*crm.Survey, error) {
	sv, err := scanSurvey(s.db.Pool.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get survey: %w", translate(err, fmt.Sprintf("survey %d not found", id)))
	}
	return sv, nil
}

// MarkSurveySent records when the question went out; the first time
// stays, so a job retried after a crash does not move it.
func (s *EngagementStore) MarkSurveySent(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE surveys SET sent_at = coalesce(sent_at, $2::timestamptz, now())
		WHERE id = $1`, id, timeArg(at))
	if err == nil && tag.RowsAffected() == 0 {
		err = crm.Errorf(crm.ENOTFOUND, "survey %d not found", id)
	}
	if err != nil {
		return fmt.Errorf("mark survey sent: %w", err)
	}
	return nil
}

// UnmarkSurveySent clears sent_at: the question, marked sent before it
// went out, did not go out, and the retry sends it.
func (s *EngagementStore) UnmarkSurveySent(ctx context.Context, id int64) error {
	if _, err := s.db.Pool.Exec(ctx, `UPDATE surveys SET sent_at = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("unmark survey sent: %w", err)
	}
	return nil
}

// ScoreSurvey records the 0-10 score once, dated at, with an
// EventNPSAnswered event {"score": N} from the customer on the survey's
// lead and jobs (a detractor alert), in one transaction. The UPDATE is
// guarded by score IS NULL, so of two presses racing one wins and the
// other is ECONFLICT; a score outside 0-10 is EINVALID.
func (s *EngagementStore) ScoreSurvey(ctx context.Context, id int64, score int, at time.Time, jobs []crm.Job) error {
	if score < 0 || score > 10 {
		return fmt.Errorf("score survey: %w", crm.Errorf(crm.EINVALID, "a score is 0 to 10, not %d", score))
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var leadID int64
		err := tx.QueryRow(ctx, `UPDATE surveys SET score = $2, answered_at = coalesce($3::timestamptz, now())
			WHERE id = $1 AND score IS NULL RETURNING lead_id`, id, score, timeArg(at)).Scan(&leadID)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := surveyExists(ctx, tx, id); err != nil {
				return err
			}
			return crm.Errorf(crm.ECONFLICT, "survey %d is already answered", id)
		}
		if err != nil {
			return err
		}
		js, err := eventData(map[string]any{"score": score})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, leadID, crm.EventNPSAnswered, "customer", js, timeArg(at)); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("score survey: %w", translate(err, fmt.Sprintf("survey %d not found", id)))
	}
	return nil
}

// surveyExists is ENOTFOUND when the survey does not exist.
func surveyExists(ctx context.Context, tx pgx.Tx, id int64) error {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM surveys WHERE id = $1)`, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return crm.Errorf(crm.ENOTFOUND, "survey %d not found", id)
	}
	return nil
}

// CommentSurvey records the customer's "why" once, after the score, with
// an EventNPSAnswered event {"comment": "..."} on the lead and jobs (the
// detractor alert's reason), in one transaction. A blank comment is EINVALID; a survey without a score yet,
// or with a comment already, is ECONFLICT.
func (s *EngagementStore) CommentSurvey(ctx context.Context, id int64, comment string, at time.Time, jobs []crm.Job) error {
	if strings.TrimSpace(comment) == "" {
		return fmt.Errorf("comment survey: %w", crm.Errorf(crm.EINVALID, "the comment is empty"))
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var leadID int64
		err := tx.QueryRow(ctx, `UPDATE surveys SET comment = $2, commented_at = coalesce($3::timestamptz, now())
			WHERE id = $1 AND score IS NOT NULL AND commented_at IS NULL AND comment = ''
			RETURNING lead_id`, id, comment, timeArg(at)).Scan(&leadID)
		if errors.Is(err, pgx.ErrNoRows) {
			var scored bool
			if err := tx.QueryRow(ctx, `SELECT score IS NOT NULL FROM surveys WHERE id = $1`, id).Scan(&scored); err != nil {
				return err
			}
			if !scored {
				return crm.Errorf(crm.ECONFLICT, "survey %d has no score yet", id)
			}
			return crm.Errorf(crm.ECONFLICT, "survey %d already has a comment", id)
		}
		if err != nil {
			return err
		}
		js, err := eventData(map[string]any{"comment": comment})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, leadID, crm.EventNPSAnswered, "customer", js, timeArg(at)); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("comment survey: %w", translate(err, fmt.Sprintf("survey %d not found", id)))
	}
	return nil
}

// AwaitingComment returns the contact's most recently scored survey that
// was scored after since and has no comment yet, ENOTFOUND if none.
func (s *EngagementStore) AwaitingComment(ctx context.Context, contactID int64, since time.Time) (*crm.Survey, error) {
	sv, err := scanSurvey(s.db.Pool.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys
		WHERE contact_id = $1 AND score IS NOT NULL AND answered_at > $2 AND commented_at IS NULL
		ORDER BY answered_at DESC, id DESC LIMIT 1`, contactID, since))
	if err != nil {
		return nil, fmt.Errorf("survey awaiting comment: %w",
			translate(err, fmt.Sprintf("contact %d has no survey awaiting a comment", contactID)))
	}
	return sv, nil
}

// purposes are the follow-ups the followups table knows.
var purposes = map[string]bool{crm.PurposeNudge: true, crm.PurposeAsk: true, crm.PurposeReengage: true}

func checkPurpose(purpose string) error {
	if !purposes[purpose] {
		return crm.Errorf(crm.EINVALID, "unknown follow-up purpose %q", purpose)
	}
	return nil
}

// StalledLeads lists open leads (new, qualifying) whose last activity
// (updated_at) is before silentBefore, whose contact is reachable, and
// that have no follow-up of purpose yet, by lead id after afterLead, at
// most limit (which must be positive). Due.Since is updated_at: a
// follow-up does not touch the lead, so the silence keeps counting from
// the customer's last answer.
func (s *EngagementStore) StalledLeads(ctx context.Context, purpose string, silentBefore time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if err := checkPurpose(purpose); err != nil {
		return nil, fmt.Errorf("stalled leads: %w", err)
	}
	if limit <= 0 {
		return nil, fmt.Errorf("stalled leads: %w", crm.Errorf(crm.EINVALID, "a page needs a positive limit"))
	}
	due, err := s.due(ctx, `SELECT `+dueColumns+`, l.updated_at
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.stage IN ('new', 'qualifying') AND l.updated_at < $2 AND l.id > $3 AND `+reachable+`
			AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.lead_id = l.id AND f.purpose = $1)
		ORDER BY l.id LIMIT $4`, purpose, silentBefore, afterLead, limit)
	if err != nil {
		return nil, fmt.Errorf("stalled leads: %w", err)
	}
	return due, nil
}

// LostLeads lists leads lost before lostBefore, for any reason (a rep's,
// the customer's /cancel, a "what happened?" answer) but the erasure's,
// that have not been re-engaged, whose contact is reachable, by lead id
// after afterLead, at most limit (which must be positive). Only a
// contact's latest lead is listed: a customer who came back on their own
// since (a newer lead, open, won or lost again) is not written to about
// the old one. Due.Since is lost_at.
func (s *EngagementStore) LostLeads(ctx context.Context, lostBefore time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("lost leads: %w", crm.Errorf(crm.EINVALID, "a page needs a positive limit"))
	}
	due, err := s.due(ctx, `SELECT `+dueColumns+`, l.lost_at
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.stage = 'lost' AND l.lost_at < $1 AND l.lost_reason <> 'forgotten' AND l.id > $2 AND `+reachable+`
			AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.lead_id = l.id AND f.purpose = 'reengage')
			AND NOT EXISTS (SELECT 1 FROM leads n WHERE n.contact_id = l.contact_id AND n.id > l.id)
		ORDER BY l.id LIMIT $3`, lostBefore, afterLead, limit)
	if err != nil {
		return nil, fmt.Errorf("lost leads: %w", err)
	}
	return due, nil
}

// FollowupsSent counts the lead's follow-ups that went out (sent_at set),
// of every purpose; a follow-up still waiting in the queue (quiet hours)
// is not counted. A lead that does not exist is ENOTFOUND.
func (s *EngagementStore) FollowupsSent(ctx context.Context, leadID int64) (int, error) {
	var (
		n      int
		exists bool
	)
	err := s.db.Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM followups WHERE lead_id = $1 AND sent_at IS NOT NULL),
			EXISTS (SELECT 1 FROM leads WHERE id = $1)`, leadID).Scan(&n, &exists)
	if err == nil && !exists {
		err = crm.Errorf(crm.ENOTFOUND, "lead %d not found", leadID)
	}
	if err != nil {
		return 0, fmt.Errorf("count follow-ups: %w", err)
	}
	return n, nil
}

// CreateFollowup inserts the lead's follow-up of purpose, due at due, and
// queues job in the same transaction; false (and no job) when the lead
// has that follow-up already. A missing lead is ENOTFOUND, an unknown
// purpose EINVALID. job.LeadID defaults to the lead.
func (s *EngagementStore) CreateFollowup(ctx context.Context, leadID int64, purpose string, due time.Time, job crm.Job) (bool, error) {
	if err := checkPurpose(purpose); err != nil {
		return false, fmt.Errorf("create follow-up: %w", err)
	}
	if job.LeadID == 0 {
		job.LeadID = leadID
	}
	created := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO followups (lead_id, purpose, due_at)
			VALUES ($1, $2, coalesce($3::timestamptz, now()))
			ON CONFLICT (lead_id, purpose) DO NOTHING`, leadID, purpose, timeArg(due))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		created = true
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("create follow-up: %w", translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	return created, nil
}

// MarkFollowupSent records when the follow-up went out; the first time
// stays. A follow-up that does not exist is ENOTFOUND.
func (s *EngagementStore) MarkFollowupSent(ctx context.Context, leadID int64, purpose string, at time.Time) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE followups SET sent_at = coalesce(sent_at, $3::timestamptz, now())
		WHERE lead_id = $1 AND purpose = $2`, leadID, purpose, timeArg(at))
	if err == nil && tag.RowsAffected() == 0 {
		err = crm.Errorf(crm.ENOTFOUND, "lead %d has no %s follow-up", leadID, purpose)
	}
	if err != nil {
		return fmt.Errorf("mark follow-up sent: %w", err)
	}
	return nil
}

// UnmarkFollowupSent clears sent_at: the message, marked sent before it
// went out, did not go out, and the retry sends it.
func (s *EngagementStore) UnmarkFollowupSent(ctx context.Context, leadID int64, purpose string) error {
	if _, err := s.db.Pool.Exec(ctx, `UPDATE followups SET sent_at = NULL WHERE lead_id = $1 AND purpose = $2`, leadID, purpose); err != nil {
		return fmt.Errorf("unmark follow-up sent: %w", err)
	}
	return nil
}

// FollowupReason stores the customer's answer to "what happened?" on the
// lead's "ask" follow-up with a "followup_reason" event {"reason", "lost"}
// from the customer, and when lost closes the lead if its dialogue is
// still open (new, qualifying): stage lost, lost_reason = reason, lost_at
// = at, with a stage_changed event {"to": "lost", "reason"}. One
// transaction.
//
// The reason is the id of the button pressed (a choice, not free text),
// which is why /forget keeps it. A later answer replaces the stored one
// and adds its own event; a lead that is no longer open is left as it is.
// When there is no "ask" row (the reasons came with another message) one
// is written, already answered, so the question is not asked afterwards.
// A missing lead is ENOTFOUND.
func (s *EngagementStore) FollowupReason(ctx context.Context, leadID int64, reason string, lost bool, at time.Time) error {
	if reason == "" {
		return fmt.Errorf("follow-up reason: %w", crm.Errorf(crm.EINVALID, "the reason is empty"))
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO followups (lead_id, purpose, due_at, reason)
			VALUES ($1, 'ask', coalesce($3::timestamptz, now()), $2)
			ON CONFLICT (lead_id, purpose) DO UPDATE SET reason = excluded.reason`,
			leadID, reason, timeArg(at)); err != nil {
			return err
		}
		js, err := eventData(map[string]any{"reason": reason, "lost": lost})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertEvent, leadID, "followup_reason", "customer", js, timeArg(at)); err != nil {
			return err
		}
		if !lost {
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE leads SET stage = 'lost', lost_reason = $2,
				lost_at = coalesce($3::timestamptz, now()), updated_at = coalesce($3::timestamptz, now())
			WHERE id = $1 AND stage IN ('new', 'qualifying')`, leadID, reason, timeArg(at))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		js, err = eventData(map[string]any{"to": string(crm.StageLost), "reason": reason})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertEvent, leadID, crm.EventStage, "customer", js, timeArg(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("follow-up reason: %w", translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	return nil
}

// Reach says whether and where a contact may be written to.
func (s *EngagementStore) Reach(ctx context.Context, contactID int64) (crm.Reach, error) {
	r := crm.Reach{ContactID: contactID}
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(chat_id, 0), time_zone,
			stopped_at IS NOT NULL, unreachable_at IS NOT NULL, erased_at IS NOT NULL
		FROM contacts WHERE id = $1`, contactID).Scan(&r.ChatID, &r.TimeZone, &r.Stopped, &r.Unreachable, &r.Erased)
	if err != nil {
		return crm.Reach{}, fmt.Errorf("reach contact: %w", translate(err, fmt.Sprintf("contact %d not found", contactID)))
	}
	return r, nil
}

// Stop records /stop for good: the first time stays.
func (s *EngagementStore) Stop(ctx context.Context, contactID int64, at time.Time) error {
	if err := s.setOnce(ctx, "stopped_at", contactID, at); err != nil {
		return fmt.Errorf("stop contact: %w", err)
	}
	return nil
}

// MarkUnreachable records that the customer blocked the bot; the first
// time stays.
func (s *EngagementStore) MarkUnreachable(ctx context.Context, contactID int64, at time.Time) error {
	if err := s.setOnce(ctx, "unreachable_at", contactID, at); err != nil {
		return fmt.Errorf("mark unreachable: %w", err)
	}
	return nil
}

// MarkReachable clears MarkUnreachable: the customer unblocked the bot.
func (s *EngagementStore) MarkReachable(ctx context.Context, contactID int64) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE contacts SET unreachable_at = NULL WHERE id = $1`, contactID)
	if err == nil && tag.RowsAffected() == 0 {
		err = crm.Errorf(crm.ENOTFOUND, "contact %d not found", contactID)
	}
	if err != nil {
		return fmt.Errorf("mark reachable: %w", err)
	}
	return nil
}

// setOnce sets a contact's time column unless it is set already. column
// is one of this file's constants, never input.
func (s *EngagementStore) setOnce(ctx context.Context, column string, contactID int64, at time.Time) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE contacts SET `+column+` = coalesce(`+column+`, $2::timestamptz, now())
		WHERE id = $1`, contactID, timeArg(at))
	if err == nil && tag.RowsAffected() == 0 {
		err = crm.Errorf(crm.ENOTFOUND, "contact %d not found", contactID)
	}
	return err
}

// keptAnswerKinds are the answer kinds whose values are ids and numbers
// from the flow rather than what the customer typed: /forget keeps them
// (they are the segmentation the stats group by) and blanks every other
// kind's value, so a kind added later is erased until it is listed here.
const keptAnswerKinds = `('choice', 'multi', 'number')`

// personalEventKeys are the keys of event data that hold what a customer
// typed or who they are (message text, NPS comment, contact details).
var personalEventKeys = []string{"text", "comment", "phone", "email", "name", "first_name", "last_name", "username"}

// Forget erases the contact's personal data in one transaction, keeping
// every row, so the funnel, NPS and cohorts count exactly what they
// counted before:
//
//   - the contact's names, username, phone and email become ”, erased_at
//     is set and stopped_at too (if it was not), so nothing unsolicited
//     reaches them again;
//   - answers of the contact's leads (superseded ones too) lose their
//     value unless it is a choice, a multiple choice or a number;
//   - events of those leads lose the data keys that hold typed text or
//     contact details (personalEventKeys: a message's text, an NPS
//     comment, ...), and an "answered" event loses its value unless its
//     step's answers are all choices or numbers; the score of an NPS
//     answer, a follow-up reason (a button's id), a touch's attribution
//     and the stage changes stay;
//   - the contact's survey comments become ” (the score and the times
//     stay, so a survey commented once is not commented again);
//   - nothing in the team audit log: it keeps no typed text (a /find
//     line holds the ids of the leads it returned, not the query; see
//     crm.TeamCommand and migration 0006), and the leads it names are
//     anonymous now;
//   - a card_update job is queued, in the same transaction, for each lead
//     with a card in a sales channel (eraseCards): it redraws the card
//     without the customer, even if this process dies right after.
//
// Leads keep their stages, scores, temperatures, amounts, timestamps,
// attribution and lost reasons. Forgetting twice is harmless; erased_at
// is the latest erasure. A missing contact is ENOTFOUND. The dialogue in
// Redis is the caller's to clear.
func (s *EngagementStore) Forget(ctx context.Context, contactID int64, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM contacts WHERE id = $1 FOR UPDATE`, contactID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET first_name = '', last_name = '', username = '',
				phone = '', email = '', erased_at = coalesce($2::timestamptz, now()),
				stopped_at = coalesce(stopped_at, $2::timestamptz, now()),
				updated_at = coalesce($2::timestamptz, now())
			WHERE id = $1`, contactID, timeArg(at)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE answers SET value = ''
			WHERE lead_id IN (SELECT id FROM leads WHERE contact_id = $1)
				AND kind NOT IN `+keptAnswerKinds+` AND value <> ''`, contactID); err != nil {
			return err
		}
		// An answered event keeps its value only when that step's answers
		// are known to be choices or numbers.
		if _, err := tx.Exec(ctx, `UPDATE events e SET data = e.data - $2::text[]
				- CASE WHEN e.kind = 'answered'
					AND (NOT EXISTS (SELECT 1 FROM answers a WHERE a.lead_id = e.lead_id AND a.step_id = e.data->>'step')
						OR EXISTS (SELECT 1 FROM answers a WHERE a.lead_id = e.lead_id AND a.step_id = e.data->>'step'
							AND a.kind NOT IN `+keptAnswerKinds+`))
					THEN 'value' ELSE '' END
			WHERE e.lead_id IN (SELECT id FROM leads WHERE contact_id = $1)
				AND (e.data ?| $2::text[] OR (e.kind = 'answered' AND e.data ? 'value'))`,
			contactID, personalEventKeys); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE surveys SET comment = ''
			WHERE (contact_id = $1 OR lead_id IN (SELECT id FROM leads WHERE contact_id = $1)) AND comment <> ''`,
			contactID); err != nil {
			return err
		}
		// What the team wrote about the customer may name them too.
		if _, err := tx.Exec(ctx, `UPDATE notes SET text = ''
			WHERE lead_id IN (SELECT id FROM leads WHERE contact_id = $1) AND text <> ''`, contactID); err != nil {
			return err
		}
		if err := s.eraseMessages(ctx, tx, contactID, at); err != nil {
			return err
		}
		return s.eraseCards(ctx, tx, contactID, at)
	})
	if err != nil {
		return fmt.Errorf("forget contact: %w", translate(err, fmt.Sprintf("contact %d not found", contactID)))
	}
	return nil
}

// eraseMessages blanks the texts and media references of the contact's
// conversations, both ways, and queues for each lead with a message
// posted to the team a job that rewrites those copies to the erased form
// (crm.JobRelayErase), keyed by the erasure's time. Notes written in a
// thread are blanked too, like the desk's notes: what the team wrote
// about the customer may name them.
func (s *EngagementStore) eraseMessages(ctx context.Context, tx pgx.Tx, contactID int64, at time.Time) error {
	rows, err := tx.Query(ctx, `WITH erased AS (
			UPDATE messages SET body = '', media = '', erased_at = coalesce($2::timestamptz, now())
			WHERE contact_id = $1 AND erased_at IS NULL
			RETURNING id, lead_id)
		SELECT DISTINCT e.lead_id FROM erased e WHERE EXISTS (SELECT 1 FROM message_refs r WHERE r.message_id = e.id)
		ORDER BY 1`, contactID, timeArg(at))
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	key := strconv.FormatInt(at.UnixNano(), 10)
	jobs := make([]crm.Job, len(ids))
	for i, id := range ids {
		jobs[i] = crm.Job{Kind: crm.JobRelayErase, LeadID: id, Key: key}
	}
	return s.db.enqueue(ctx, tx, jobs)
}

// eraseCards queues, in the erasure's transaction, a card_update job for
// each of the contact's leads that has a card in a sales channel or is
// hot and qualified (its alert may be posting the card right now: the
// update waits for it). The job redraws every copy from the erased
// contact, which crm.Sales renders without a personal field. Its key is
// the erasure's time, so a second /forget redraws again.
func (s *EngagementStore) eraseCards(ctx context.Context, tx pgx.Tx, contactID int64, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT l.id FROM leads l WHERE l.contact_id = $1
			AND (EXISTS (SELECT 1 FROM lead_cards c WHERE c.lead_id = l.id)
				OR (l.temperature = 'hot' AND l.qualified_at IS NOT NULL))
		ORDER BY l.id`, contactID)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	key := "erased@" + strconv.FormatInt(at.UnixNano(), 10)
	jobs := make([]crm.Job, 0, len(ids))
	for _, id := range ids {
		jobs = append(jobs, crm.Job{Kind: crm.JobCardUpdate, LeadID: id, Key: key})
	}
	return s.db.enqueue(ctx, tx, jobs)
}
