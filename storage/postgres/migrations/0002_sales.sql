-- The sales team, mirrored from the configuration at start so that leads
-- and events can refer to a manager by id. The configuration stays the
-- source: a manager removed from it is kept here, inactive, because old
-- leads still point at them.
CREATE TABLE managers (
    id          bigserial PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('rep', 'head', 'admin')),
    slack_id    text        NOT NULL DEFAULT '',
    telegram_id bigint      NOT NULL DEFAULT 0,
    on_duty     boolean     NOT NULL DEFAULT true,
    hours       text        NOT NULL DEFAULT '',
    time_zone   text        NOT NULL DEFAULT '',
    max_open    integer     NOT NULL DEFAULT 0,
    active      boolean     NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE leads
    ADD COLUMN assigned_at timestamptz,
    -- When the card first reached the sales team: the claim SLA runs from here.
    ADD COLUMN alerted_at  timestamptz,
    -- No rep was on duty: the lead waits for the next one, oldest first.
    ADD COLUMN waiting     boolean NOT NULL DEFAULT false;

-- Open leads per manager (least loaded routing, max_open, /team).
CREATE INDEX leads_manager_open_idx ON leads (manager_id) WHERE stage IN ('qualified', 'contacted');
-- The routing queue, oldest first.
CREATE INDEX leads_waiting_idx ON leads (qualified_at) WHERE waiting;
-- SLA sweeps: alerted and unclaimed, claimed and not contacted.
CREATE INDEX leads_unclaimed_idx ON leads (alerted_at) WHERE claimed_at IS NULL AND stage = 'qualified';
CREATE INDEX leads_uncontacted_idx ON leads (claimed_at) WHERE stage = 'qualified' AND claimed_at IS NOT NULL;
-- Sticky routing and round robin look for a manager's latest assignment.
CREATE INDEX leads_assigned_at_idx ON leads (assigned_at DESC) WHERE manager_id IS NOT NULL;

-- Where each lead's card was posted, per channel, so it is updated in place
-- and never posted twice.
CREATE TABLE lead_cards (
    lead_id   bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    channel   text        NOT NULL,
    ref       text        NOT NULL,
    posted_at timestamptz NOT NULL,
    PRIMARY KEY (lead_id, channel)
);

-- One row per SLA breach and kind: what makes an escalation or a reminder
-- happen once however often the sweep runs.
CREATE TABLE sla_breaches (
    lead_id bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind    text        NOT NULL CHECK (kind IN ('claim', 'contact')),
    at      timestamptz NOT NULL,
    PRIMARY KEY (lead_id, kind)
);
