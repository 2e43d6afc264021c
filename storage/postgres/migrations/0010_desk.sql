-- The rep's desk (crm.Desk): notes on a lead, call-backs, and the windows
-- of the warm digests.

-- A team member's internal note. The "note" event on the timeline holds
-- the note's id only, so /forget blanks the text here and nowhere else.
CREATE TABLE notes (
    id         bigserial   PRIMARY KEY,
    lead_id    bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    manager_id bigint      REFERENCES managers (id),
    author     text        NOT NULL,
    text       text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX notes_lead_idx ON notes (lead_id, id);

-- A rep's promise to call back. At most one pending per lead: a new one
-- replaces it (replaced_at). The sweep marks it reminded_at in the
-- transaction that queues the reminder, so it is reminded once.
CREATE TABLE callbacks (
    id          bigserial   PRIMARY KEY,
    lead_id     bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    manager_id  bigint      NOT NULL REFERENCES managers (id),
    due_at      timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    reminded_at timestamptz,
    replaced_at timestamptz
);
CREATE UNIQUE INDEX callbacks_pending_idx ON callbacks (lead_id) WHERE reminded_at IS NULL AND replaced_at IS NULL;
CREATE INDEX callbacks_due_idx ON callbacks (due_at) WHERE reminded_at IS NULL AND replaced_at IS NULL;

-- Each warm digest's window [since, until): the next one starts where the
-- last ended, so no lead falls between two schedules.
CREATE TABLE warm_digests (
    until timestamptz PRIMARY KEY,
    since timestamptz NOT NULL
);
