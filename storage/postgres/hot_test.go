package postgres_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestLeadIndexesLeaveFrequentWritesHeapOnly: the lead columns written on
// the customer's path and right after it (each answer: score, step,
// updated_at; each card: alerted_at) are named by no index of leads, as
// a key, an included column, an expression or a predicate, so that those
// updates are heap-only (no entry in the lead's 19 indexes). An index that
// names one of them again makes every such update write every index.
func TestLeadIndexesLeaveFrequentWritesHeapOnly(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	rows, err := db.Pool.Query(t.Context(), `
		SELECT ic.relname, coalesce(string_agg(a.attname, ' '), ''),
			coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) AND a.attnum > 0
		WHERE i.indrelid = 'leads'::regclass
		GROUP BY ic.relname, i.indexprs, i.indpred, i.indrelid`)
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, cols, exprs, pred string
		require.NoError(t, rows.Scan(&name, &cols, &exprs, &pred))
		n++
		named := strings.Fields(cols)
		for _, col := range []string{"score", "step", "updated_at", "alerted_at"} {
			require.NotContains(t, named, col, "index %s names %s", name, col)
			require.NotContains(t, exprs+" "+pred, col, "index %s names %s", name, col)
		}
	}
	require.NoError(t, rows.Err())
	require.Greater(t, n, 10, "the leads' indexes were read")
}
