package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// ModelStore keeps the win models and reads the outcomes they learn
// from.
type ModelStore struct{ db *DB }

var _ crm.ModelStore = (*ModelStore)(nil)

// NewModelStore returns the store on db.
func NewModelStore(db *DB) *ModelStore { return &ModelStore{db: db} }

// knownOutcome is the WHERE of Outcomes and OutcomeCounts: qualified,
// not erased, and either closed or qualified a horizon ($2) ago.
const knownOutcome = `l.qualified_at IS NOT NULL AND c.erased_at IS NULL
	AND (l.won_at IS NOT NULL OR l.lost_at IS NOT NULL OR l.qualified_at <= $2)`

// wonWithin is true for a lead won within $1 seconds of qualification.
const wonWithin = `(l.won_at IS NOT NULL AND l.won_at <= l.qualified_at + make_interval(secs => $1))`

// Outcomes implements crm.ModelStore. The answers are the current ones
// given by qualification.
func (s *ModelStore) Outcomes(ctx context.Context, horizon time.Duration, now time.Time) ([]crm.LeadOutcome, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT l.id, l.flow_id, l.score, l.source, l.medium, l.campaign, l.created_at, l.qualified_at, c.language, `+wonWithin+`,
			coalesce((SELECT jsonb_agg(jsonb_build_array(a.step_id, a.kind, a.value) ORDER BY a.id) FROM answers a
				WHERE a.lead_id = l.id AND a.superseded_at IS NULL AND a.created_at <= l.qualified_at), '[]')
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE `+knownOutcome+`
		ORDER BY l.qualified_at, l.id`, horizon.Seconds(), now.Add(-horizon))
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	defer rows.Close()
	var out []crm.LeadOutcome
	for rows.Next() {
		var o crm.LeadOutcome
		l, a := &o.Facts.Lead, &o.Facts.Lead.Attribution
		var answers [][3]string
		if err := rows.Scan(&l.ID, &l.FlowID, &l.Score, &a.Source, &a.Medium, &a.Campaign, &l.CreatedAt, &l.QualifiedAt,
			&o.Facts.Language, &o.Won, &answers); err != nil {
			return nil, fmt.Errorf("outcomes: %w", err)
		}
		for _, an := range answers {
			o.Facts.Answers = append(o.Facts.Answers, crm.Answer{LeadID: l.ID, StepID: an[0], Kind: an[1], Value: an[2]})
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	return out, nil
}

// OutcomeCounts implements crm.ModelStore.
func (s *ModelStore) OutcomeCounts(ctx context.Context, horizon time.Duration, now time.Time) (won, lost int, err error) {
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE `+wonWithin+`), count(*) FILTER (WHERE NOT `+wonWithin+`)
		FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE `+knownOutcome, horizon.Seconds(), now.Add(-horizon)).Scan(&won, &lost)
	if err != nil {
		return 0, 0, fmt.Errorf("outcome counts: %w", err)
	}
	return won, lost, nil
}

// SaveModel implements crm.ModelStore: a current model takes the place of
// the one in use in the same transaction.
func (s *ModelStore) SaveModel(ctx context.Context, m *crm.WinModel) error {
	feats, err := json.Marshal(m.Features)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	ev, err := json.Marshal(m.Eval)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if m.Current {
			if _, err := tx.Exec(ctx, `UPDATE models SET current = false WHERE current`); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO models (trained_at, horizon_seconds, intercept, features, evaluation, current)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			m.TrainedAt, int64(m.Horizon/time.Second), m.Intercept, feats, ev, m.Current).Scan(&m.ID)
	})
	if err != nil {
		return fmt.Errorf("save model: %w", translate(err, "model"))
	}
	return nil
}

const modelColumns = `id, trained_at, horizon_seconds, intercept, features, evaluation, current`

func scanModel(row pgx.Row) (*crm.WinModel, error) {
	var m crm.WinModel
	var secs int64
	var feats, ev []byte
	if err := row.Scan(&m.ID, &m.TrainedAt, &secs, &m.Intercept, &feats, &ev, &m.Current); err != nil {
		return nil, err
	}
	m.TrainedAt = m.TrainedAt.UTC()
	m.Horizon = time.Duration(secs) * time.Second
	if err := json.Unmarshal(feats, &m.Features); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(ev, &m.Eval); err != nil {
		return nil, err
	}
	return &m, nil
}

// CurrentModel implements crm.ModelStore.
func (s *ModelStore) CurrentModel(ctx context.Context) (*crm.WinModel, error) {
	m, err := scanModel(s.db.Pool.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE current`))
	if err != nil {
		return nil, fmt.Errorf("current model: %w", translate(err, "no model in use"))
	}
	return m, nil
}

// Models implements crm.ModelStore.
func (s *ModelStore) Models(ctx context.Context, limit int) ([]crm.WinModel, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+modelColumns+` FROM models ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer rows.Close()
	var out []crm.WinModel
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}
