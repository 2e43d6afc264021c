-- Consent and reachability. stopped_at: the customer said /stop; nothing
-- but direct answers reaches them again. unreachable_at: Telegram answered
-- 403 (they blocked the bot); sweeps skip them.
ALTER TABLE contacts
    ADD COLUMN stopped_at     timestamptz,
    ADD COLUMN unreachable_at timestamptz;

-- One NPS survey per won lead: the row is created by the sweep in the same
-- transaction as the job that sends it.
CREATE TABLE surveys (
    id          bigserial   PRIMARY KEY,
    lead_id     bigint      NOT NULL UNIQUE REFERENCES leads (id) ON DELETE CASCADE,
    contact_id  bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    manager_id  bigint,                 -- the rep who won the sale
    due_at      timestamptz NOT NULL,
    sent_at     timestamptz,
    score       integer CHECK (score BETWEEN 0 AND 10),
    answered_at timestamptz,
    comment     text        NOT NULL DEFAULT '',
    commented_at timestamptz,
    created_at  timestamptz NOT NULL
);
-- "Later purchases at most once per 90 days": the contact's latest survey.
CREATE INDEX surveys_contact_idx ON surveys (contact_id, created_at DESC);
-- NPS stats by answer time.
CREATE INDEX surveys_answered_idx ON surveys (answered_at) WHERE score IS NOT NULL;

-- Follow-ups sent to a lead's customer, one row per (lead, purpose): a
-- nudge, the "what happened?" question, a re-engagement of a lost lead.
-- The row and its job are written together, so a sweep that runs twice
-- sends nothing twice.
CREATE TABLE followups (
    lead_id    bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('nudge', 'ask', 'reengage')),
    due_at     timestamptz NOT NULL,
    sent_at    timestamptz,
    reason     text        NOT NULL DEFAULT '', -- the customer's answer to "what happened?"
    PRIMARY KEY (lead_id, purpose)
);

-- Stalled dialogues: open leads by their last activity.
CREATE INDEX leads_stalled_idx ON leads (updated_at) WHERE stage IN ('new', 'qualifying');
-- Re-engagement and NPS read lost_at and won_at through the indexes of
-- 0003 (leads_lost_at_idx, leads_won_at_idx).

-- Every tick of every schedule that ran, on whichever replica: inserting
-- the row is how one replica takes a tick, and the latest row is how a
-- tick missed while every replica was down is found and caught up.
CREATE TABLE schedule_ticks (
    name   text        NOT NULL,
    tick   timestamptz NOT NULL,
    ran_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, tick)
);
