// Package postgres keeps Voronka's facts in PostgreSQL: the pgx pool, the
// embedded forward-only migrations and every query. It implements the store
// interfaces declared by package crm and translates driver errors into
// *crm.Error at its boundary (pgx.ErrNoRows and foreign-key violations
// become ENOTFOUND, unique violations ECONFLICT, failed checks and text
// PostgreSQL cannot store EINVALID; all matched by SQLSTATE, never by
// message), so nothing above it ever sees pgx.
//
// The schema (migrations/0001_init.sql):
//
//   - contacts: one row per Telegram user, upserted by telegram_user_id;
//     personal fields are erasable (erased_at), the row is not.
//   - leads: one qualification of a contact, with its stage, score,
//     temperature, dialogue step and first-touch attribution, plus the sales
//     columns (manager, claim, contact, won/lost, amount) later stages fill.
//   - answers: every answered step; a unique partial index on (lead_id,
//     step_id) WHERE superseded_at IS NULL stores a step's answer exactly
//     once, and a restart supersedes answers rather than deleting them.
//   - events: the lead's timeline with jsonb data; reports are computed
//     from it.
//
// Later migrations add the sales, reports, engagement, campaign and
// conversation tables, each file saying why; among them job_runs (0013),
// the mark of a River job's run in progress, kept apart from River's own
// row so that a run does not rewrite it (queue.go, startRun).
//
// Nothing here names a schema: tables are created and read through the
// connection's search_path, which lets tests give every test its own schema
// (see postgrestest) and lets operators put Voronka in a schema of their
// choosing.
package postgres
