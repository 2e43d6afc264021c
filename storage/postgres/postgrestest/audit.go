package postgrestest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/storage/postgres"
)

// Audit reads back what a load or fault run left in its schema, so that
// `voronka bench` can check the invariants against the facts rather than
// against what the bot said it did. It also holds the few statements the
// bench needs to set a run up and to break it on purpose. Nothing in the
// bot uses it: it lives with the tests' helpers, so the server binary does
// not carry it.
type Audit struct {
	db *postgres.DB
}

// NewAudit returns an Audit on db (a pool whose search_path is the run's
// schema).
func NewAudit(db *postgres.DB) *Audit { return &Audit{db: db} }

// CreateSchema creates an empty schema named name in the database at url.
func CreateSchema(ctx context.Context, url, name string) error {
	return onConn(ctx, url, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
}

// DropSchema drops schema name and everything in it.
func DropSchema(ctx context.Context, url, name string) error {
	return onConn(ctx, url, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
}

// BackendPIDs lists the server processes of the connections whose
// application_name is app: the bench counts their CPU apart from the rest
// of a PostgreSQL that other programs use too.
func BackendPIDs(ctx context.Context, url, app string) ([]int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

func onConn(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return err
	}
	return nil
}

// AuditAnswer is one stored answer with the customer it belongs to.
type AuditAnswer struct {
	TelegramUserID int64
	LeadID         int64
	Step, Value    string
	Superseded     bool
	UpdateID       int64
}

// Answers lists every answer of every lead, superseded ones included.
func (a *Audit) Answers(ctx context.Context) ([]AuditAnswer, error) {
	rows, err := a.db.Pool.Query(ctx, `
		SELECT c.telegram_user_id, a.lead_id, a.step_id, a.value, a.superseded_at IS NOT NULL, coalesce(a.update_id, 0)
		FROM answers a JOIN leads l ON l.id = a.lead_id JOIN contacts c ON c.id = l.contact_id
		ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("audit answers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditAnswer, error) {
		var x AuditAnswer
		err := r.Scan(&x.TelegramUserID, &x.LeadID, &x.Step, &x.Value, &x.Superseded, &x.UpdateID)
		return x, err
	})
}

// AuditLead is one lead with its customer.
type AuditLead struct {
	TelegramUserID int64
	LeadID         int64
	Stage          string
	Temperature    string
	QualifiedAt    *time.Time
}

// Leads lists every lead.
func (a *Audit) Leads(ctx context.Context) ([]AuditLead, error) {
	rows, err := a.db.Pool.Query(ctx, `
		SELECT c.telegram_user_id, l.id, l.stage, l.temperature, l.qualified_at
		FROM leads l JOIN contacts c ON c.id = l.contact_id ORDER BY l.id`)
	if err != nil {
		return nil, fmt.Errorf("audit leads: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditLead, error) {
		var x AuditLead
		err := r.Scan(&x.TelegramUserID, &x.LeadID, &x.Stage, &x.Temperature, &x.QualifiedAt)
		return x, err
	})
}

// AuditSurvey is one NPS survey row with its customer.
type AuditSurvey struct {
	TelegramUserID int64
	LeadID         int64
	SurveyID       int64
	SentAt         *time.Time
}

// Surveys lists every survey.
func (a *Audit) Surveys(ctx context.Context) ([]AuditSurvey, error) {
	rows, err := a.db.Pool.Query(ctx, `
		SELECT c.telegram_user_id, s.lead_id, s.id, s.sent_at
		FROM surveys s JOIN contacts c ON c.id = s.contact_id ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("audit surveys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditSurvey, error) {
		var x AuditSurvey
		err := r.Scan(&x.TelegramUserID, &x.LeadID, &x.SurveyID, &x.SentAt)
		return x, err
	})
}

// SetTimeZone gives a customer a time zone, as a later version of the bot
// might learn it, so that a run can put some customers in their night.
func (a *Audit) SetTimeZone(ctx context.Context, telegramUserID int64, tz string) error {
	if _, err := a.db.Pool.Exec(ctx, `UPDATE contacts SET time_zone = $2 WHERE telegram_user_id = $1`, telegramUserID, tz); err != nil {
		return fmt.Errorf("set time zone: %w", err)
	}
	return nil
}

// PendingJobs counts the durable jobs still to run: available, running,
// retrying, or scheduled within the next minute (a job snoozed to the
// customer's morning is not pending for a run's purpose).
func (a *Audit) PendingJobs(ctx context.Context) (int, error) {
	var n int
	err := a.db.Pool.QueryRow(ctx, `
		SELECT count(*) FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'pending')
		   OR (state = 'scheduled' AND scheduled_at < now() + interval '1 minute')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("pending jobs: %w", err)
	}
	return n, nil
}

// TerminateBackends ends every connection of this database whose
// application_name is application, as a PostgreSQL restart would for that
// application, and returns how many it ended. A real restart of a shared
// server would break everyone else's sessions, so a run ends only its own.
func (a *Audit) TerminateBackends(ctx context.Context, application string) (int, error) {
	var n int
	err := a.db.Pool.QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, application).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("terminate backends: %w", err)
	}
	return n, nil
}

// InsertBench is the machine's own insert limit as .ci/pgbench-insert
// measures it: a throw-away table in the run's schema, and the pgbench
// script of one-row INSERT transactions into it.
type InsertBench struct {
	Schema string
}

// Create makes the table.
func (b InsertBench) Create(ctx context.Context, url string) error {
	return onConn(ctx, url, "CREATE TABLE "+b.table()+" (id bigserial PRIMARY KEY, chat bigint, body text, at timestamptz DEFAULT now())")
}

// Script is the pgbench transaction.
func (b InsertBench) Script() string {
	return "INSERT INTO " + b.table() + " (chat, body) VALUES (:client_id, 'answer');\n"
}

// Drop removes the table.
func (b InsertBench) Drop(ctx context.Context, url string) error {
	return onConn(ctx, url, "DROP TABLE IF EXISTS "+b.table())
}

func (b InsertBench) table() string { return pgx.Identifier{b.Schema, "voronka_pgbench"}.Sanitize() }

// Settle vacuums the system catalogs that schema churn bloats and asks
// for a checkpoint (both need a superuser, or the catalogs' owner and
// pg_checkpoint), so that a measurement starts where every other one
// does. Each bench part and many tests create and drop a schema of thirty
// tables; where autovacuum is off the catalogs grow dead rows by the
// million, and every new connection's catalog reads slowed run after run
// (the same build measured 840, 960 and then 1,050 µs per update). After a
// checkpoint each page a run first changes is written whole into the WAL:
// one falling inside one run and not another made their costs differ by
// more than the changes measured.
func Settle(ctx context.Context, url string) error {
	if err := onConn(ctx, url, `VACUUM pg_catalog.pg_attribute, pg_catalog.pg_depend, pg_catalog.pg_class,
		pg_catalog.pg_index, pg_catalog.pg_constraint, pg_catalog.pg_type, pg_catalog.pg_attrdef,
		pg_catalog.pg_trigger, pg_catalog.pg_namespace, pg_catalog.pg_sequence, pg_catalog.pg_statistic,
		pg_catalog.pg_description, pg_catalog.pg_proc, pg_catalog.pg_enum`); err != nil {
		return fmt.Errorf("vacuum the catalogs: %w", err)
	}
	return onConn(ctx, url, `CHECKPOINT`)
}

// WorkMark is where PostgreSQL's own counters stood at a moment: the
// WAL's position in bytes and the database's committed transactions.
// Two marks around a run give the WAL it wrote and the commits it made
// (the bench's own few queries in between included).
type WorkMark struct {
	WALBytes int64
	Commits  int64
}

// MarkWork reads the WAL's position and the current database's commits.
// A backend reports its commits to the statistics when it goes idle for
// a while or exits, so a mark after a run is taken once the run's
// connections have closed (NoBackends).
func MarkWork(ctx context.Context, url string) (WorkMark, error) {
	var m WorkMark
	err := rowOnConn(ctx, url, `
		SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, xact_commit
		FROM pg_stat_database WHERE datname = current_database()`, nil, &m.WALBytes, &m.Commits)
	return m, err
}

// rowOnConn scans the one row of sql into dest, on a connection of its own.
func rowOnConn(ctx context.Context, url, sql string, args []any, dest ...any) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}

// NoBackends waits until no connection named app is left, or wait has
// passed: a closed connection's server process reports its statistics
// as it exits.
func NoBackends(ctx context.Context, url, app string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		pids, err := BackendPIDs(ctx, url, app)
		if err != nil || len(pids) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d connections of %s still open after %s", len(pids), app, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TableWork is what the tables of a schema were written, by PostgreSQL's
// statistics: rows inserted, updated (HOT: heap-only, no index touched)
// and deleted, and the index entries those writes made at most (each
// inserted row and each update that was not heap-only, times its table's
// indexes; a partial index skips the rows outside it).
type TableWork struct {
	Inserted, Updated, HOT, Deleted, IndexEntries int64
}

// SchemaWork reads TableWork for schema. Read it once the writers'
// connections have closed (NoBackends): a live backend reports late.
func SchemaWork(ctx context.Context, url, schema string) (TableWork, error) {
	var w TableWork
	err := rowOnConn(ctx, url, `
		SELECT coalesce(sum(n_tup_ins), 0)::bigint, coalesce(sum(n_tup_upd), 0)::bigint,
			coalesce(sum(n_tup_hot_upd), 0)::bigint, coalesce(sum(n_tup_del), 0)::bigint,
			coalesce(sum((n_tup_ins + n_tup_upd - n_tup_hot_upd)
				* (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid)), 0)::bigint
		FROM pg_stat_user_tables s WHERE schemaname = $1`, []any{schema},
		&w.Inserted, &w.Updated, &w.HOT, &w.Deleted, &w.IndexEntries)
	return w, err
}
