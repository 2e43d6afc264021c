package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

func TestMigrateTwiceIsNoop(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t) // migrated once already
	ctx := t.Context()

	before, err := db.Migrations(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	for _, m := range before {
		require.NotNil(t, m.AppliedAt, "migration %d", m.Version)
	}
	require.Equal(t, 1, before[0].Version)
	require.Equal(t, "init", before[0].Name)

	require.NoError(t, db.Migrate(ctx))
	after, err := db.Migrations(ctx)
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing re-applied, applied_at unchanged")
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	schema := postgrestest.NewSchema(t)
	// Two pools on one fresh schema, like two replicas starting together.
	a, b := postgrestest.Open(t, schema), postgrestest.Open(t, schema)
	ctx := t.Context()

	pending, err := a.Migrations(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, pending)
	for _, m := range pending {
		require.Nil(t, m.AppliedAt, "a fresh schema has nothing applied")
	}

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Go(func() { errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "replica %d", i)
	}

	applied, err := b.Migrations(ctx)
	require.NoError(t, err)
	require.Len(t, applied, len(pending))
	for _, m := range applied {
		require.NotNil(t, m.AppliedAt)
	}
	var tables int
	require.NoError(t, a.Pool.QueryRow(ctx, `
		SELECT count(*) FROM information_schema.tables
		WHERE table_schema = $1 AND table_name IN ('contacts', 'leads', 'answers', 'events', 'schema_migrations')`,
		schema).Scan(&tables))
	require.Equal(t, 5, tables, "everything lands in the test's schema, none in public")
}

func TestMigrationsListsUnknownApplied(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := t.Context()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// A newer replica applied a migration this binary does not know.
	_, err := db.Pool.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', $1)`, at)
	require.NoError(t, err)

	require.NoError(t, db.Migrate(ctx), "a database ahead of the binary is not an error")
	list, err := db.Migrations(ctx)
	require.NoError(t, err)
	last := list[len(list)-1]
	require.Equal(t, 9999, last.Version)
	require.Equal(t, "future", last.Name)
	require.NotNil(t, last.AppliedAt)
	require.True(t, at.Equal(*last.AppliedAt))
}

func TestMigrateWithoutSchema(t *testing.T) {
	t.Parallel()
	db := postgrestest.Open(t, "t_does_not_exist")
	err := db.Migrate(t.Context())
	require.ErrorContains(t, err, "no schema on search_path")
}
