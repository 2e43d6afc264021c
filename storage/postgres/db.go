package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the connection pool every store of this package shares. Pool is
// exported for what this package does not wrap yet (the job queue's driver
// takes a *pgxpool.Pool), not for queries elsewhere: SQL lives here.
type DB struct {
	Pool   *pgxpool.Pool
	logger *slog.Logger
	// queue, once NewQueue has run, takes the jobs stores insert in their
	// transactions.
	queue *Queue
	// answers writes the answers of concurrent updates in groups.
	answers *answerGroup
}

// ParseConfig reads a connection URL (or key=value DSN) and applies
// Voronka's pool defaults wherever the URL leaves them unset. It is separate
// from Open so callers can adjust the config first, as the tests do with
// search_path.
//
// Pool settings given in the URL (pool_max_conns, pool_min_conns, ...) win.
// Otherwise the pool holds up to max(4, 2*GOMAXPROCS) connections: enough to
// keep every CPU busy while some connections wait on the network or fsync,
// and few enough that a handful of replicas stay well under PostgreSQL's
// default max_connections of 100. Idle connections are dropped after five
// minutes so a quiet replica does not pin server processes, and lifetimes
// are jittered so replicas started together do not reconnect together.
func ParseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included; keep only
		// the fact that it failed.
		return nil, errors.New("parse database url: invalid connection string")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(4, 2*runtime.GOMAXPROCS(0)))
	}
	if !strings.Contains(url, "pool_max_conn_idle_time") {
		cfg.MaxConnIdleTime = 5 * time.Minute
	}
	if !strings.Contains(url, "pool_max_conn_lifetime_jitter") {
		cfg.MaxConnLifetimeJitter = 5 * time.Minute
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		// Shows up in pg_stat_activity, so an operator can tell Voronka's
		// connections from psql sessions and other services.
		cfg.ConnConfig.RuntimeParams["application_name"] = "voronka"
	}
	return cfg, nil
}

// Open connects to the database at url with ParseConfig's defaults and
// pings it, so a wrong URL or a down server fails at start rather than on
// the first customer's message. A nil logger discards.
func Open(ctx context.Context, url string, logger *slog.Logger) (*DB, error) {
	cfg, err := ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg, logger)
}

// OpenConfig is Open for a config the caller has already adjusted.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{Pool: pool, logger: logger, answers: newAnswerGroup(pool, answerWriters(cfg.MaxConns))}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	cc := cfg.ConnConfig
	logger.Debug("database connected", "host", cc.Host, "port", cc.Port,
		"database", cc.Database, "user", cc.User, "max_conns", cfg.MaxConns)
	return db, nil
}

// answerWriters is how many groups of answers may be in flight at once:
// one per CPU, at least two so that one group waiting on a row lock does
// not hold up every answer, and never more than the pool. Fewer writers
// than connections is what makes groups form: with as many writers as
// connections, answers rarely queued and were written one by one (the
// load run measured no gain); with two, 5-10% more updates/s
// (docs/benchmarks.md).
func answerWriters(maxConns int32) int {
	return min(int(maxConns), max(2, runtime.GOMAXPROCS(0)))
}

// Ping checks that a connection can be acquired and the server answers; it
// backs /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close waits for acquired connections to be released and closes them all.
func (db *DB) Close() {
	db.Pool.Close()
}

// CreateSchema creates the schema name unless it exists (the sandbox of
// `voronka chat`).
func (db *DB) CreateSchema(ctx context.Context, name string) error {
	if _, err := db.Pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", name, err)
	}
	return nil
}
