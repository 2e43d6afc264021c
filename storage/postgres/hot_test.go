package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestAnswersAreHOTUpdates guards migrations 0005, 0014 and 0015: the
// columns every answer changes on its lead (score, step, updated_at, and
// now and then temperature), and the one a posted card sets (alerted_at),
// are in no index of leads — not as a key, an INCLUDE column, an
// expression or a predicate — so an answer that keeps the stage, and
// marking a lead alerted, are heap-only updates, and PostgreSQL writes
// none of the lead's many index entries again.
func TestAnswersAreHOTUpdates(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := t.Context()

	rows, err := db.Pool.Query(ctx, `
		SELECT i.relname, a.attname
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_attribute a ON a.attrelid = x.indrelid
		WHERE x.indrelid = 'leads'::regclass
		  AND a.attname IN ('score', 'step', 'updated_at', 'temperature', 'alerted_at')
		  AND (a.attnum = ANY (x.indkey)
		       OR coalesce(pg_get_expr(x.indexprs, x.indrelid), '') ~ ('\m' || a.attname || '\M')
		       OR coalesce(pg_get_expr(x.indpred, x.indrelid), '') ~ ('\m' || a.attname || '\M'))`)
	require.NoError(t, err)
	indexed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var index, column string
		err := r.Scan(&index, &column)
		return index + "(" + column + ")", err
	})
	require.NoError(t, err)
	require.Empty(t, indexed, "an answer's columns, temperature and alerted_at must stay out of the lead's indexes")

	// And PostgreSQL agrees: the update an answer makes is heap-only.
	var leadID int64
	require.NoError(t, db.Pool.QueryRow(ctx, `
		WITH c AS (INSERT INTO contacts (telegram_user_id, first_name) VALUES (1, 'Hot') RETURNING id)
		INSERT INTO leads (contact_id, stage, temperature, flow_id, step) SELECT id, $1, $2, 'qualify', 'need' FROM c
		RETURNING id`, crm.StageQualifying, crm.Cold).Scan(&leadID))
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `UPDATE leads SET score = score + 10, step = 'budget', updated_at = now() WHERE id = $1`, leadID)
	require.NoError(t, err)
	var updated, hot int64
	require.NoError(t, tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('leads'::regclass),
		pg_stat_get_xact_tuples_hot_updated('leads'::regclass)`).Scan(&updated, &hot))
	require.Equal(t, int64(1), updated)
	require.Equal(t, int64(1), hot, "the answer's update of its lead is HOT")

	// An answer that warms the lead (cold to warm) keeps it heap-only too.
	_, err = tx.Exec(ctx, `UPDATE leads SET score = score + 20, temperature = $2, step = 'timeline', updated_at = now() WHERE id = $1`,
		leadID, crm.Warm)
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('leads'::regclass),
		pg_stat_get_xact_tuples_hot_updated('leads'::regclass)`).Scan(&updated, &hot))
	require.Equal(t, int64(2), updated)
	require.Equal(t, int64(2), hot, "a change of temperature alone is HOT")

	// A qualified hot lead whose card was just posted: the alerted mark.
	_, err = tx.Exec(ctx, `UPDATE leads SET stage = $2, temperature = $3, qualified_at = now() WHERE id = $1`,
		leadID, crm.StageQualified, crm.Hot)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE leads SET alerted_at = now() WHERE id = $1 AND alerted_at IS NULL`, leadID)
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('leads'::regclass),
		pg_stat_get_xact_tuples_hot_updated('leads'::regclass)`).Scan(&updated, &hot))
	require.Equal(t, int64(4), updated)
	require.Equal(t, int64(3), hot, "the qualification writes the indexes; the alerted mark is HOT")
}
