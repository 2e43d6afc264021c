-- 0001: contacts, leads, their answers and their timeline.
--
-- No table is schema-qualified: everything lands in the first schema of the
-- connection's search_path (tests give each test its own).
-- Times are timestamptz and always written by the application from its
-- (injectable) clock; the defaults only serve hand-written SQL.

-- A person who wrote to the bot. Personal fields are '' rather than NULL so
-- the application never has to tell "unknown" from "empty", and so /forget
-- can blank them and set erased_at while the row, and the leads pointing at
-- it, stay for anonymous aggregates.
CREATE TABLE contacts (
    id               bigserial   PRIMARY KEY,
    telegram_user_id bigint      NOT NULL UNIQUE, -- the upsert key
    chat_id          bigint,                      -- NULL until we know where to write
    first_name       text        NOT NULL DEFAULT '',
    last_name        text        NOT NULL DEFAULT '',
    username         text        NOT NULL DEFAULT '',
    phone            text        NOT NULL DEFAULT '', -- E.164
    email            text        NOT NULL DEFAULT '',
    language         text        NOT NULL DEFAULT '',
    time_zone        text        NOT NULL DEFAULT '', -- IANA; '' = configured default
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    erased_at        timestamptz                  -- set by /forget
);

-- /find looks contacts up by email, phone or @username, exactly or by
-- prefix. text_pattern_ops serves both = and LIKE 'prefix%' regardless of
-- the database's collation; lower() because people type addresses and
-- usernames in any case.
CREATE INDEX contacts_email_idx    ON contacts (lower(email) text_pattern_ops);
CREATE INDEX contacts_phone_idx    ON contacts (phone text_pattern_ops);
CREATE INDEX contacts_username_idx ON contacts (lower(username) text_pattern_ops);

-- One qualification of one contact. The first-touch attribution is copied
-- onto the lead (not the contact) because a returning customer's second
-- lead may come from another campaign. Columns after lost_reason belong to
-- the sales side (claim, contact, close) and stay NULL until it happens.
CREATE TABLE leads (
    id            bigserial   PRIMARY KEY,
    contact_id    bigint      NOT NULL REFERENCES contacts (id),
    stage         text        NOT NULL DEFAULT 'new'
        CONSTRAINT leads_stage_check
        CHECK (stage IN ('new', 'qualifying', 'qualified', 'contacted', 'won', 'lost')),
    score         integer     NOT NULL DEFAULT 0,
    -- 'cold' until the score says otherwise, so every lead has a
    -- temperature and the stats never have to bucket NULLs.
    temperature   text        NOT NULL DEFAULT 'cold'
        CONSTRAINT leads_temperature_check
        CHECK (temperature IN ('hot', 'warm', 'cold')),
    flow_id       text        NOT NULL DEFAULT '',
    flow_version  integer     NOT NULL DEFAULT 0,
    step          text        NOT NULL DEFAULT '', -- '' once the dialogue is finished
    source        text        NOT NULL DEFAULT '',
    medium        text        NOT NULL DEFAULT '',
    campaign      text        NOT NULL DEFAULT '',
    landing       text        NOT NULL DEFAULT '',
    referrer      text        NOT NULL DEFAULT '',
    start_payload text        NOT NULL DEFAULT '',
    lost_reason   text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    qualified_at  timestamptz,
    -- A manager's id from the config; no FK because managers live in the
    -- config file, not in a table (yet).
    manager_id    bigint,
    claimed_at    timestamptz,
    contacted_at  timestamptz,
    won_at        timestamptz,
    lost_at       timestamptz,
    amount        numeric(14, 2) -- the sale, in the flow's currency
);

-- Funnel and /stats for a period scan leads by creation time.
CREATE INDEX leads_created_at_idx ON leads (created_at);
-- Funnel counts per stage in a period, and sweeps for stalled leads in a
-- stage (follow-ups, SLA escalations).
CREATE INDEX leads_stage_created_at_idx ON leads (stage, created_at);
-- LatestLead: a contact's newest lead is the first entry; also serves the
-- foreign key, so deleting/erasing a contact does not scan leads.
CREATE INDEX leads_contact_id_idx ON leads (contact_id, id DESC);
-- /sources: leads and conversion per source and campaign in a period.
CREATE INDEX leads_source_campaign_created_at_idx ON leads (source, campaign, created_at);
-- Hot/warm/cold breakdown in a period and the warm digest.
CREATE INDEX leads_temperature_created_at_idx ON leads (temperature, created_at);

-- One answered step of a lead's dialogue. A restart supersedes the current
-- answers instead of deleting them, so what a customer once said is kept.
CREATE TABLE answers (
    id            bigserial   PRIMARY KEY,
    lead_id       bigint      NOT NULL REFERENCES leads (id),
    step_id       text        NOT NULL,
    kind          text        NOT NULL DEFAULT '',
    value         text        NOT NULL DEFAULT '',
    score         integer     NOT NULL DEFAULT 0,
    update_id     bigint,                 -- the Telegram update it came in, when known
    created_at    timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz
);

-- The exactly-once guarantee: a step has at most one current answer. A
-- Telegram update delivered twice, or two replicas racing on one update,
-- insert the same (lead, step); ON CONFLICT DO NOTHING against this index
-- makes the second insert a no-op that the store reports as a conflict.
CREATE UNIQUE INDEX answers_current_step_idx ON answers (lead_id, step_id)
    WHERE superseded_at IS NULL;
-- A lead's answers in the order given; also serves the foreign key.
CREATE INDEX answers_lead_id_idx ON answers (lead_id, id);

-- The lead's timeline. Funnel, cohorts, time to first contact and sales
-- cycle are computed from these facts, never from counters.
CREATE TABLE events (
    id         bigserial   PRIMARY KEY,
    lead_id    bigint      NOT NULL REFERENCES leads (id),
    kind       text        NOT NULL,
    actor      text        NOT NULL DEFAULT '', -- customer, system, or a manager's name
    data       jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A lead's timeline (/lead <id>); also serves the foreign key.
CREATE INDEX events_lead_id_idx ON events (lead_id, id);
-- Facts of one kind in a period: stage changes for the funnel and cohorts,
-- qualifications for time-to-qualify, touches for attribution reports.
CREATE INDEX events_kind_created_at_idx ON events (kind, created_at);
