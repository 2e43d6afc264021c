package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/voronka/voronka/crm"
)

const contactColumns = `id, telegram_user_id, coalesce(chat_id, 0), first_name, last_name,
	username, phone, email, language, time_zone, created_at, updated_at, erased_at`

func scanContact(row pgx.Row, c *crm.Contact) error {
	err := row.Scan(&c.ID, &c.TelegramUserID, &c.ChatID, &c.FirstName, &c.LastName,
		&c.Username, &c.Phone, &c.Email, &c.Language, &c.TimeZone, &c.CreatedAt, &c.UpdatedAt, &c.ErasedAt)
	utc(&c.CreatedAt)
	utc(&c.UpdatedAt)
	utc(c.ErasedAt)
	return err
}

// upsertContactSQL is UpsertContact's statement (upsertContactArgs).
const upsertContactSQL = `
	INSERT INTO contacts AS c (telegram_user_id, chat_id, first_name, last_name, username,
		phone, email, language, time_zone, created_at, updated_at)
	VALUES ($1, nullif($2::bigint, 0), $3, $4, $5, $6, $7, $8, $9,
		coalesce($10::timestamptz, $11::timestamptz, now()), coalesce($11::timestamptz, now()))
	ON CONFLICT (telegram_user_id) DO UPDATE SET
		chat_id    = coalesce(excluded.chat_id, c.chat_id),
		first_name = excluded.first_name,
		last_name  = excluded.last_name,
		username   = excluded.username,
		phone      = coalesce(nullif(excluded.phone, ''), c.phone),
		email      = coalesce(nullif(excluded.email, ''), c.email),
		language   = coalesce(nullif(excluded.language, ''), c.language),
		time_zone  = coalesce(nullif(excluded.time_zone, ''), c.time_zone),
		updated_at = excluded.updated_at
	RETURNING ` + contactColumns

func upsertContactArgs(c *crm.Contact) []any {
	at := c.UpdatedAt
	if at.IsZero() {
		at = c.CreatedAt
	}
	return []any{c.TelegramUserID, c.ChatID, c.FirstName, c.LastName, c.Username,
		c.Phone, c.Email, c.Language, c.TimeZone, timeArg(c.CreatedAt), timeArg(at)}
}

// UpsertContact inserts c or updates the contact with its TelegramUserID,
// and fills c with the stored row: ID, CreatedAt, UpdatedAt, and the Phone,
// Email, TimeZone and Language kept from before when c left them empty.
//
// Names and username always take the new values, since they mirror the
// Telegram profile, where clearing a username is a real change. Phone,
// email and time zone are only ever learned, so an update that does not
// carry them must not erase them; language too, because Telegram omits
// language_code from some updates. A zero ChatID keeps the stored one.
//
// The time of the change is c.UpdatedAt, or c.CreatedAt when that is zero;
// a new row's created_at is c.CreatedAt when set.
func (s *LeadStore) UpsertContact(ctx context.Context, c *crm.Contact) error {
	if c == nil || c.TelegramUserID == 0 {
		return fmt.Errorf("upsert contact: %w", crm.Errorf(crm.EINVALID, "a contact needs a Telegram user id"))
	}
	row := s.db.Pool.QueryRow(ctx, upsertContactSQL, upsertContactArgs(c)...)
	if err := scanContact(row, c); err != nil {
		return fmt.Errorf("upsert contact: %w", translate(err, "contact not found"))
	}
	return nil
}

// Contact returns a contact by id. Erased contacts are returned too, since
// their leads still point at them; /forget is what blanks their fields.
func (s *LeadStore) Contact(ctx context.Context, id int64) (*crm.Contact, error) {
	var c crm.Contact
	row := s.db.Pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1`, id)
	if err := scanContact(row, &c); err != nil {
		return nil, fmt.Errorf("get contact: %w", translate(err, fmt.Sprintf("contact %d not found", id)))
	}
	return &c, nil
}

// Resume implements crm.LeadStore: UpsertContact, LatestLead and Answers
// as one batch (one round trip, one implicit transaction, so the later
// statements see the contact the first one wrote). The lead and its
// answers are found through the contact's Telegram user id.
func (s *LeadStore) Resume(ctx context.Context, c *crm.Contact) (*crm.Lead, []crm.Answer, error) {
	if c == nil || c.TelegramUserID == 0 {
		return nil, nil, fmt.Errorf("resume contact: %w", crm.Errorf(crm.EINVALID, "a contact needs a Telegram user id"))
	}
	const latest = `(SELECT l.id FROM leads l JOIN contacts k ON k.id = l.contact_id
		WHERE k.telegram_user_id = $1 ORDER BY l.id DESC LIMIT 1)`
	var b pgx.Batch
	b.Queue(upsertContactSQL, upsertContactArgs(c)...)
	b.Queue(`SELECT `+leadColumns+`, `+leadVariants+` FROM leads WHERE id = `+latest, c.TelegramUserID)
	b.Queue(`SELECT `+answerColumns+` FROM answers WHERE lead_id = `+latest+`
		AND superseded_at IS NULL ORDER BY id`, c.TelegramUserID)
	br := s.db.Pool.SendBatch(ctx, &b)
	defer br.Close()
	if err := scanContact(br.QueryRow(), c); err != nil {
		return nil, nil, fmt.Errorf("resume contact: %w", translate(err, "contact not found"))
	}
	var vs map[string]string
	l, err := scanLeadWith(br.QueryRow(), &vs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, br.Close()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("resume contact: latest lead: %w", err)
	}
	l.Variants = vs
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("resume contact: answers: %w", err)
	}
	answers, err := pgx.AppendRows([]crm.Answer(nil), rows, scanAnswer)
	if err != nil {
		return nil, nil, fmt.Errorf("resume contact: answers: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, nil, fmt.Errorf("resume contact: %w", err)
	}
	return l, answers, nil
}
