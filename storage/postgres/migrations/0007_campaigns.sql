-- Marketing campaigns. One row per message of a campaign to a customer
-- for one cause (a lost lead, a cron tick, "once"), written by the sweep
-- in the transaction of its job: the unique key is "at most once per
-- customer per trigger". The variant and the timing are stored with the
-- send, so every result is computed from these facts.
CREATE TABLE campaign_sends (
    id          bigserial   PRIMARY KEY,
    campaign    text        NOT NULL,
    contact_id  bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    lead_id     bigint      REFERENCES leads (id) ON DELETE SET NULL,
    cause       text        NOT NULL,
    variant     text        NOT NULL,
    timing      text        NOT NULL DEFAULT 'now',
    since       timestamptz,            -- the cause's moment (the event)
    due_at      timestamptz NOT NULL,
    status      text        NOT NULL DEFAULT 'queued',
    sent_at     timestamptz,            -- claimed; Telegram took it when status = 'sent'
    message_id  integer,
    clicked_at  timestamptz,            -- first press of one of its buttons
    choice      text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    UNIQUE (campaign, contact_id, cause)
);
-- The frequency cap: a contact's marketing messages by time.
CREATE INDEX campaign_sends_contact_idx ON campaign_sends (contact_id, sent_at DESC) WHERE sent_at IS NOT NULL;
CREATE INDEX campaign_sends_campaign_idx ON campaign_sends (campaign, variant);

-- A promoted variant takes every further send of its campaign.
CREATE TABLE campaign_promotions (
    campaign    text        PRIMARY KEY,
    variant     text        NOT NULL,
    promoted_at timestamptz NOT NULL
);

-- Customer activity by time (replies, best send time): events the
-- customer caused.
CREATE INDEX events_customer_idx ON events (lead_id, created_at) WHERE actor = 'customer';
