-- 0003: what the managers' reports (/stats, /funnel, /team, /find...) read,
-- and the audit log of their commands.
--
-- Every report counts the facts of one period by the time they happened,
-- so each fact's timestamp gets an index that starts with it; a period is
-- then an index range scan whose cost grows with the period's facts, not
-- with the table (docs/stats-performance.md has the plans at a million
-- leads). The indexes are partial (WHERE ... IS NOT NULL) because most
-- leads never reach most stages, which keeps them small and cheap to write.

-- A period's new leads, for /stats, /funnel, /sources and /cohorts: the
-- columns those reports read ride along in the index (INCLUDE), so a month
-- of a million-lead history is an index-only scan instead of a visit to
-- forty thousand heap pages. Most of them change when a lead moves on,
-- which would cost a HOT update, but leads are already indexed by stage and
-- temperature (0001), so those updates touch every index anyway.
-- The id is part of the key so that /export's "ORDER BY created_at, id"
-- is the index's own order, with no sort.
CREATE INDEX leads_created_cover_idx ON leads (created_at, id)
    INCLUDE (manager_id, stage, qualified_at, contacted_at, won_at, amount, lost_reason, source, campaign, flow_id, step);
-- It serves everything 0001's plain index on created_at did, and with both
-- PostgreSQL kept choosing the plain one (smaller, and the heap is in
-- creation order), then read the heap anyway.
DROP INDEX leads_created_at_idx;
-- /stats "qualified" and "hot".
CREATE INDEX leads_qualified_at_idx ON leads (qualified_at) INCLUDE (temperature, manager_id)
    WHERE qualified_at IS NOT NULL;
-- /stats first contact and /team time to contact.
CREATE INDEX leads_contacted_at_idx ON leads (contacted_at) INCLUDE (manager_id, qualified_at, claimed_at)
    WHERE contacted_at IS NOT NULL;
-- /team claims and time to claim.
CREATE INDEX leads_claimed_at_idx ON leads (claimed_at) INCLUDE (manager_id, alerted_at, qualified_at)
    WHERE claimed_at IS NOT NULL;
-- /stats wins, revenue and repeat sales; /team wins per rep.
CREATE INDEX leads_won_at_idx ON leads (won_at) INCLUDE (id, contact_id, amount, manager_id)
    WHERE won_at IS NOT NULL;
-- Repeat sales: did this contact win before? One index-only probe per win
-- (id breaks a tie of two wins at the same instant).
CREATE INDEX leads_contact_won_idx ON leads (contact_id, won_at, id) WHERE won_at IS NOT NULL;
-- /stats lost.
CREATE INDEX leads_lost_at_idx ON leads (lost_at) INCLUDE (manager_id) WHERE lost_at IS NOT NULL;
-- /team: SLA breaches in a period.
CREATE INDEX sla_breaches_at_idx ON sla_breaches (at);

-- /find by name: a prefix of the first or last name, in any case. Like the
-- email and username indexes of 0001, text_pattern_ops serves LIKE
-- 'prefix%' whatever the database's collation. (A trigram index would also
-- find the middle of a name, but needs the pg_trgm extension, which a
-- schema-per-tenant or per-test setup cannot create per schema.)
CREATE INDEX contacts_first_name_idx ON contacts (lower(first_name) text_pattern_ops);
CREATE INDEX contacts_last_name_idx  ON contacts (lower(last_name) text_pattern_ops);
-- /find by the end of a phone number: people type "916 123-45-67" or
-- "8 916..." for +7916..., so the last digits are what they agree on.
CREATE INDEX contacts_phone_reversed_idx ON contacts (reverse(phone) text_pattern_ops);

-- Who asked what. events.lead_id is NOT NULL (a timeline belongs to a
-- lead), and most staff commands are about no lead in particular, so they
-- have their own log. Kept forever like events; it holds no customer data
-- beyond what a manager typed (a /find text may be a phone number, which
-- /forget cannot reach here: managers are told so in the README).
CREATE TABLE staff_log (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL,
    manager_id bigint      REFERENCES managers (id),
    manager    text        NOT NULL,  -- the name at the time, should the config change
    channel    text        NOT NULL,  -- telegram | slack | digest
    command    text        NOT NULL,
    args       text        NOT NULL DEFAULT '',
    lead_id    bigint,                -- /lead <id>; no FK, a log outlives what it names
    outcome    text        NOT NULL DEFAULT ''
);
CREATE INDEX staff_log_at_idx ON staff_log (at);
