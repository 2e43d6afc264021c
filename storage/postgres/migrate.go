package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// migrationFiles are the forward-only schema changes, compiled into the
// binary so `voronka migrate` needs nothing but DATABASE_URL. A file is
// named NNNN_what.sql and is never edited once released: a fix is a new
// file. Each runs in its own transaction, so a file must not use statements
// that refuse one (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE
// before PostgreSQL 12).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

var migrationName = regexp.MustCompile(`^([0-9]+)_([a-z0-9_]+)\.sql$`)

// Migration is one schema change as `voronka migrate status` shows it.
type Migration struct {
	Version int
	Name    string
	// AppliedAt is nil while the migration is pending. A migration that is
	// applied but unknown to this binary (a newer replica ran it during a
	// rolling deploy) is listed too, with the name it was recorded under.
	AppliedAt *time.Time
}

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded files in version order and rejects
// misnamed files and duplicate versions, so a broken build fails the first
// test instead of a production start.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", e.Name())
		}
		version, err := strconv.Atoi(m[1])
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration file %q: bad version", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: m[2], sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migration version %d is used twice", out[i].version)
		}
	}
	return out, nil
}

// Migrate applies the pending migrations in version order, each in its own
// transaction together with its row in schema_migrations, so a failure
// leaves the schema at the last migration that succeeded.
//
// Any number of replicas may call Migrate at once: every transaction first
// takes a transaction-scoped advisory lock keyed by the current schema, and
// re-checks under it whether the migration is still pending. The lock is
// released by commit or rollback (or by the server when a replica dies), so
// a crashed replica never leaves the others waiting, and tests migrating
// their own schemas in parallel do not wait on each other.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range all {
		if _, ok := applied[m.version]; ok {
			continue
		}
		start := time.Now()
		ran, err := db.applyMigration(ctx, m)
		if err != nil {
			return fmt.Errorf("migrate: %04d_%s: %w", m.version, m.name, err)
		}
		if ran {
			db.logger.Info("migration applied", "version", m.version, "name", m.name,
				"took", time.Since(start).Round(time.Millisecond))
		}
	}
	// River's tables (the job queue) live beside ours and move with them.
	return db.migrateRiver(ctx)
}

// Migrations lists every migration this binary knows and every one the
// database has recorded, in version order, without changing anything.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	byVersion := make(map[int]*Migration, len(all))
	for _, m := range all {
		byVersion[m.version] = &Migration{Version: m.version, Name: m.name}
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx,
		`SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	if exists {
		rows, err := db.Pool.Query(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
		if err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				version int
				name    string
				at      time.Time
			)
			if err := rows.Scan(&version, &name, &at); err != nil {
				return nil, fmt.Errorf("list migrations: %w", err)
			}
			at = at.UTC()
			m, ok := byVersion[version]
			if !ok {
				m = &Migration{Version: version, Name: name}
				byVersion[version] = m
			}
			m.AppliedAt = &at
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out, nil
}

// appliedMigrations creates schema_migrations if needed (under the lock, as
// two concurrent CREATE TABLE IF NOT EXISTS can still collide) and returns
// the recorded versions.
func (db *DB) appliedMigrations(ctx context.Context) (map[int]struct{}, error) {
	applied := map[int]struct{}{}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		for _, v := range versions {
			applied[v] = struct{}{}
		}
		return nil
	})
	return applied, err
}

// applyMigration runs m unless another replica did while this one waited
// for the lock; ran reports whether this call applied it.
func (db *DB) applyMigration(ctx context.Context, m migration) (ran bool, err error) {
	err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		var done bool
		if err := tx.QueryRow(ctx,
			`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
			m.version).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		// No arguments, so pgx uses the simple protocol, which accepts a
		// file of several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())`,
			m.version, m.name); err != nil {
			return err
		}
		ran = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return ran, nil
}

// lockMigrations takes the advisory lock that serialises migrations of the
// current schema until tx ends. Advisory locks are database-wide, so the
// key includes the schema: one lock per schema, not one per database.
func lockMigrations(ctx context.Context, tx pgx.Tx) error {
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("no schema on search_path exists; create it or fix search_path")
	}
	h := fnv.New64a()
	h.Write([]byte("voronka/migrate/" + *schema))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}
