package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// ConversationStore is crm.ConversationStore on PostgreSQL: the messages
// table, where each message was posted, and the relay jobs queued with
// them.
type ConversationStore struct {
	db *DB
}

var _ crm.ConversationStore = (*ConversationStore)(nil)

// NewConversationStore returns a ConversationStore on db; writes with
// jobs need the queue (NewQueue) set up on db.
func NewConversationStore(db *DB) *ConversationStore { return &ConversationStore{db: db} }

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AddMessage implements crm.ConversationStore. The unique indexes on the
// customer's update and on the source reference make a redelivered
// message the row stored before; its jobs are not queued again.
func (s *ConversationStore) AddMessage(ctx context.Context, m *crm.Message, jobKinds ...string) (bool, error) {
	if m.Delivery == "" {
		m.Delivery = crm.DeliveryPending
	}
	if m.Kind == "" {
		m.Kind = crm.MessageText
	}
	fresh := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO messages (lead_id, contact_id, direction, author, manager_id, via, kind, body, media,
				update_id, source_ref, event_id, delivery, created_at, chat_message_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14::timestamptz, now()), $15)
			ON CONFLICT DO NOTHING
			RETURNING id`,
			m.LeadID, m.ContactID, string(m.Direction), m.Author, nullInt(m.ManagerID), m.Via, m.Kind, m.Text, m.Media,
			nullInt(m.UpdateID), nullText(m.SourceRef), nullText(m.EventID), string(m.Delivery), timeArg(m.At), nullInt(m.ChatMessageID)).Scan(&m.ID)
		if err == pgx.ErrNoRows {
			return tx.QueryRow(ctx, `SELECT id FROM messages
				WHERE (contact_id = $1 AND update_id = $2) OR (via = $3 AND source_ref = $4)
				ORDER BY id LIMIT 1`, m.ContactID, nullInt(m.UpdateID), m.Via, nullText(m.SourceRef)).Scan(&m.ID)
		}
		if err != nil {
			return err
		}
		fresh = true
		jobs := make([]crm.Job, len(jobKinds))
		for i, k := range jobKinds {
			jobs[i] = crm.Job{Kind: k, LeadID: m.LeadID, Key: strconv.FormatInt(m.ID, 10)}
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return false, fmt.Errorf("add message: %w", translate(err, fmt.Sprintf("lead %d not found", m.LeadID)))
	}
	return fresh, nil
}

const messageColumns = `id, lead_id, contact_id, direction, author, coalesce(manager_id, 0), via, kind, body, media,
	coalesce(update_id, 0), coalesce(source_ref, ''), coalesce(event_id, ''), coalesce(chat_message_id, 0), delivery,
	created_at, delivered_at, erased_at, edited_at, deleted_at`

func scanMessage(row pgx.Row) (crm.Message, error) {
	var m crm.Message
	var dir, delivery string
	err := row.Scan(&m.ID, &m.LeadID, &m.ContactID, &dir, &m.Author, &m.ManagerID, &m.Via, &m.Kind, &m.Text, &m.Media,
		&m.UpdateID, &m.SourceRef, &m.EventID, &m.ChatMessageID, &delivery, &m.At, &m.DeliveredAt, &m.ErasedAt,
		&m.EditedAt, &m.DeletedAt)
	m.Direction, m.Delivery = crm.Direction(dir), crm.Delivery(delivery)
	utc(&m.At)
	utc(m.DeliveredAt)
	utc(m.ErasedAt)
	utc(m.EditedAt)
	utc(m.DeletedAt)
	return m, err
}

func (s *ConversationStore) messages(ctx context.Context, q string, args ...any) ([]crm.Message, error) {
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crm.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Message implements crm.ConversationStore.
func (s *ConversationStore) Message(ctx context.Context, id int64) (*crm.Message, error) {
	m, err := scanMessage(s.db.Pool.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("message: %w", translate(err, fmt.Sprintf("message %d not found", id)))
	}
	return &m, nil
}

// Unrelayed implements crm.ConversationStore.
func (s *ConversationStore) Unrelayed(ctx context.Context, leadID int64, dir crm.Direction, channel string, upTo int64) ([]crm.Message, error) {
	out, err := s.messages(ctx, `SELECT `+messageColumns+` FROM messages m
		WHERE lead_id = $1 AND direction = $2 AND id <= $4
			AND NOT EXISTS (SELECT 1 FROM message_refs r WHERE r.message_id = m.id AND r.channel = $3)
		ORDER BY id`, leadID, string(dir), channel, upTo)
	if err != nil {
		return nil, fmt.Errorf("unrelayed messages: %w", err)
	}
	return out, nil
}

// MessageRefs implements crm.ConversationStore.
func (s *ConversationStore) MessageRefs(ctx context.Context, id int64) (map[string]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT channel, ref FROM message_refs WHERE message_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("message refs: %w", err)
	}
	defer rows.Close()
	refs := map[string]string{}
	for rows.Next() {
		var ch, ref string
		if err := rows.Scan(&ch, &ref); err != nil {
			return nil, fmt.Errorf("message refs: %w", err)
		}
		refs[ch] = ref
	}
	return refs, rows.Err()
}

// SaveMessageRef implements crm.ConversationStore (the first post wins).
func (s *ConversationStore) SaveMessageRef(ctx context.Context, id int64, channel, ref string) error {
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO message_refs (message_id, channel, ref) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, id, channel, ref); err != nil {
		return fmt.Errorf("save message ref: %w", translate(err, fmt.Sprintf("message %d not found", id)))
	}
	return nil
}

// SetDelivery implements crm.ConversationStore.
func (s *ConversationStore) SetDelivery(ctx context.Context, id int64, d crm.Delivery, chatMessageID int64, at time.Time) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE messages SET delivery = $2,
		delivered_at = CASE WHEN $2 = 'delivered' THEN coalesce($3::timestamptz, now()) ELSE delivered_at END,
		chat_message_id = coalesce($4, chat_message_id)
		WHERE id = $1`, id, string(d), timeArg(at), nullInt(chatMessageID))
	if err != nil {
		return fmt.Errorf("set delivery: %w", err)
	}
	return nil
}

// Revise implements crm.ConversationStore.
func (s *ConversationStore) Revise(ctx context.Context, id int64, text string, deleted bool, at time.Time, job *crm.Job) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var q string
		if deleted {
			q = `UPDATE messages SET deleted_at = coalesce(deleted_at, $3::timestamptz, now()) WHERE id = $1 AND erased_at IS NULL AND $2::text IS NOT NULL`
		} else {
			q = `UPDATE messages SET body = $2, edited_at = coalesce($3::timestamptz, now()) WHERE id = $1 AND erased_at IS NULL AND deleted_at IS NULL`
		}
		tag, err := tx.Exec(ctx, q, id, text, timeArg(at))
		if err != nil || tag.RowsAffected() == 0 || job == nil {
			return err
		}
		return s.db.enqueue(ctx, tx, []crm.Job{*job})
	})
	if err != nil {
		return fmt.Errorf("revise message %d: %w", id, translate(err, fmt.Sprintf("message %d not found", id)))
	}
	return nil
}

// LeadByCard implements crm.ConversationStore; message_refs_ref_idx and
// messages_source_idx find a reply to a relayed message.
func (s *ConversationStore) LeadByCard(ctx context.Context, channel, ref string) (int64, error) {
	var id int64
	// The card itself, or a message of its conversation posted there (a
	// reply in the sales group may answer either).
	err := s.db.Pool.QueryRow(ctx, `SELECT lead_id FROM (
			(SELECT lead_id FROM lead_cards WHERE channel = $1 AND ref = $2 ORDER BY lead_id DESC LIMIT 1)
			UNION ALL
			(SELECT m.lead_id FROM message_refs r JOIN messages m ON m.id = r.message_id
				WHERE r.channel = $1 AND r.ref = $2 LIMIT 1)
			UNION ALL
			(SELECT lead_id FROM messages WHERE via = $1 AND source_ref = $2 LIMIT 1)
			UNION ALL
			-- A message in a lead's forum topic of the sales group answers
			-- the topic ("<chat>:<thread>"); its card's ref ends in it.
			(SELECT lead_id FROM lead_cards WHERE channel = $1 AND ref LIKE split_part($2, ':', 1) || ':%:' || split_part($2, ':', 2)
				AND split_part($2, ':', 3) = '' ORDER BY lead_id DESC LIMIT 1)
		) found LIMIT 1`, channel, ref).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("lead by card: %w", translate(err, "no lead has this card"))
	}
	return id, nil
}

// MessageByRef implements crm.ConversationStore.
func (s *ConversationStore) MessageByRef(ctx context.Context, channel, ref string) (*crm.Message, error) {
	m, err := scanMessage(s.db.Pool.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE (via = $1 AND source_ref = $2)
			OR id = (SELECT message_id FROM message_refs WHERE channel = $1 AND ref = $2 LIMIT 1)
		ORDER BY id LIMIT 1`, channel, ref))
	if err != nil {
		return nil, fmt.Errorf("message by ref: %w", translate(err, "no such message"))
	}
	return &m, nil
}

// LastMessages implements crm.ConversationStore.
func (s *ConversationStore) LastMessages(ctx context.Context, leadID int64, n int) ([]crm.Message, error) {
	out, err := s.messages(ctx, `SELECT * FROM (SELECT `+messageColumns+` FROM messages WHERE lead_id = $1
		ORDER BY id DESC LIMIT $2) m ORDER BY id`, leadID, n)
	if err != nil {
		return nil, fmt.Errorf("last messages: %w", err)
	}
	return out, nil
}

// LastMessageAt implements crm.ConversationStore.
func (s *ConversationStore) LastMessageAt(ctx context.Context, contactID int64) (time.Time, error) {
	var at *time.Time
	if err := s.db.Pool.QueryRow(ctx, `SELECT max(created_at) FROM messages WHERE contact_id = $1 AND direction <> 'note'`,
		contactID).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("last message: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return at.UTC(), nil
}

// conversationLease is how long a relay holds its lead's conversation at
// most: longer than a job may run (queue.job_timeout, 1m), so a live relay
// never loses it, and short enough that one whose replica died frees the
// conversation soon after.
const conversationLease = 2 * time.Minute

// Lock implements crm.ConversationStore with a lease row: taken when
// free or expired, in one statement, and held without holding a
// connection (a relay that kept one for its whole run would starve the
// pool of the connections its own queries need). A lease held by another
// relay is ECONFLICT; a replica that dies leaves its lease to expire.
func (s *ConversationStore) Lock(ctx context.Context, leadID int64) (func(), error) {
	var buf [12]byte
	_, _ = rand.Read(buf[:])
	holder := hex.EncodeToString(buf[:])
	var got string
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO conversation_locks (lead_id, holder, until)
		VALUES ($1, $2, now() + $3::interval)
		ON CONFLICT (lead_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE conversation_locks.until < now()
		RETURNING holder`, leadID, holder, conversationLease.String()).Scan(&got)
	if err == pgx.ErrNoRows {
		return nil, crm.Errorf(crm.ECONFLICT, "the conversation of lead %d is being relayed", leadID)
	}
	if err != nil {
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := s.db.Pool.Exec(ctx, `DELETE FROM conversation_locks WHERE lead_id = $1 AND holder = $2`, leadID, holder); err != nil {
			s.db.logger.WarnContext(ctx, "unlock conversation (its lease expires)", "lead_id", leadID, "err", err)
		}
	}, nil
}

// HandOff implements crm.ConversationStore.
func (s *ConversationStore) HandOff(ctx context.Context, leadID int64, at time.Time) (crm.HandedLead, error) {
	h := crm.HandedLead{ID: leadID}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE leads SET stage = 'qualified', step = '', qualified_at = coalesce(qualified_at, $2),
			updated_at = $2 WHERE id = $1 AND stage IN ('new', 'qualifying')`, leadID, at)
		if err != nil {
			return err
		}
		if h.Handed = tag.RowsAffected() == 1; h.Handed {
			if _, err := tx.Exec(ctx, insertEvent, leadID, crm.EventHandoff, "customer", "{}", timeArg(at)); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `SELECT stage, temperature FROM leads WHERE id = $1`, leadID).Scan(&h.Stage, &h.Temperature)
	})
	if err != nil {
		return crm.HandedLead{}, fmt.Errorf("hand off lead %d: %w", leadID, translate(err, fmt.Sprintf("lead %d not found", leadID)))
	}
	return h, nil
}

// EscalateUnanswered implements crm.ConversationStore: customer messages
// before t with no team message after them on their lead, not escalated
// before, are marked escalated, with one job per lead (keyed by its latest
// such message), in one transaction.
func (s *ConversationStore) EscalateUnanswered(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT m.id, m.lead_id FROM messages m
				WHERE m.direction = 'in' AND m.created_at < $1
					AND NOT EXISTS (SELECT 1 FROM message_escalations e WHERE e.message_id = m.id)
					AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.lead_id = m.lead_id AND o.direction = 'out' AND o.id > m.id)
				ORDER BY m.id LIMIT $2
			), marked AS (
				-- Concurrent sweeps: the unique message_id lets one of
				-- them mark a message; the other returns nothing for it.
				INSERT INTO message_escalations (message_id, at) SELECT id, $1 FROM due ON CONFLICT DO NOTHING RETURNING message_id
			)
			SELECT lead_id, max(id), count(*) FROM due WHERE id IN (SELECT message_id FROM marked) GROUP BY lead_id`, before, limit)
		if err != nil {
			return err
		}
		var jobs []crm.Job
		for rows.Next() {
			var lead, last int64
			var c int
			if err := rows.Scan(&lead, &last, &c); err != nil {
				rows.Close()
				return err
			}
			n += c
			jobs = append(jobs, crm.Job{Kind: crm.JobRespondEscalate, LeadID: lead, Key: strconv.FormatInt(last, 10)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return s.db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return 0, fmt.Errorf("escalate unanswered: %w", err)
	}
	return n, nil
}
