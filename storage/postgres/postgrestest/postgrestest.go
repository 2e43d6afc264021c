// Package postgrestest gives tests a PostgreSQL of their own: a fresh
// schema in the database at DATABASE_URL, a pool whose search_path points
// there, and cleanup that drops it. Tests isolated this way run in parallel
// against one server and never see each other's rows (River's riverdbtest
// does the same).
//
// There is no fallback to a fake: a test that cannot reach PostgreSQL
// fails. VORONKA_SKIP_DB=1 skips these tests instead, for machines that
// knowingly have no database.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/voronka/voronka/storage/postgres"
)

// DefaultURL is the database tests use when DATABASE_URL is unset: the
// local server with trust authentication that development machines and CI
// run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL returns the database URL tests connect to, skipping t when
// VORONKA_SKIP_DB=1.
func URL(t testing.TB) string {
	t.Helper()
	if os.Getenv("VORONKA_SKIP_DB") == "1" {
		t.Skip("VORONKA_SKIP_DB=1: skipping a test that needs PostgreSQL")
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDB returns a pool on a fresh, fully migrated schema that is dropped
// when t ends.
func NewDB(t testing.TB) *postgres.DB {
	t.Helper()
	db := Open(t, NewSchema(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	return db
}

// NewSchema creates an empty schema named t_<random> and drops it, with
// everything in it, when t ends (after the pools Open registered later
// are closed, since cleanups run last-in first-out).
func NewSchema(t testing.TB) string {
	t.Helper()
	url := URL(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("postgrestest: connect to PostgreSQL (set DATABASE_URL, or VORONKA_SKIP_DB=1 to skip): %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("postgrestest: create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("postgrestest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("postgrestest: drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// Open returns a pool whose connections use schema (and nothing else) as
// their search_path, closed when t ends. Calling it twice on one schema
// gives two independent pools, like two replicas. Unless DATABASE_URL says
// otherwise a pool holds at most 4 connections, because many tests, of
// several packages, share one server's max_connections.
func Open(t testing.TB, schema string) *postgres.DB {
	t.Helper()
	url := URL(t)
	cfg, err := postgres.ParseConfig(url)
	if err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 4
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.OpenConfig(ctx, cfg, Logger(t))
	if err != nil {
		t.Fatalf("postgrestest: connect to PostgreSQL (set DATABASE_URL, or VORONKA_SKIP_DB=1 to skip): %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// Logger logs through t, so a test's log lines show only when it fails or
// runs with -v, next to the test that wrote them.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
