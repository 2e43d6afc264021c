-- Conversations (issue 15): every message between a customer and the team,
-- either way, is a row. A customer's message is relayed into the card's
-- Slack thread and the sales group; a team member's reply goes to the
-- customer. The relay is a River job inserted with the row.
CREATE TABLE messages (
    id          bigserial   PRIMARY KEY,
    lead_id     bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    contact_id  bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- in: the customer wrote; out: a team member wrote to the customer;
    -- note: a team member wrote for the team only ("note: ...").
    direction   text        NOT NULL CHECK (direction IN ('in', 'out', 'note')),
    author      text        NOT NULL,
    manager_id  bigint      REFERENCES managers (id),
    -- where it was written: chat (the customer's own chat with the bot),
    -- slack, telegram (the sales group).
    via         text        NOT NULL,
    kind        text        NOT NULL DEFAULT 'text',
    body        text        NOT NULL DEFAULT '',
    -- a Telegram file_id, or "lat,lon" for a location.
    media       text        NOT NULL DEFAULT '',
    -- the customer's Telegram update (in), unique per contact.
    update_id   bigint,
    -- the message's own reference where it was written (a Slack
    -- "<channel>:<ts>", a group "<chat>:<message_id>"): a redelivered
    -- Slack event or Telegram update is the same row.
    source_ref  text,
    event_id    text,
    -- the message's id in the customer's chat (either direction).
    chat_message_id bigint,
    -- pending, sending, delivered, blocked, stopped, erased, failed,
    -- unknown (a relay cut short by a crash after it began sending).
    delivery    text        NOT NULL DEFAULT 'pending',
    created_at  timestamptz NOT NULL,
    delivered_at timestamptz,
    erased_at   timestamptz,
    -- a team member edited or deleted their message where they wrote it.
    edited_at   timestamptz,
    deleted_at  timestamptz
);

CREATE UNIQUE INDEX messages_update_idx ON messages (contact_id, update_id) WHERE update_id IS NOT NULL;
CREATE UNIQUE INDEX messages_source_idx ON messages (via, source_ref) WHERE source_ref IS NOT NULL;
CREATE INDEX messages_lead_idx ON messages (lead_id, id);
CREATE INDEX messages_contact_at_idx ON messages (contact_id, created_at);

-- Where each message was posted for the team, per channel (a Slack ts in
-- the card's thread, a message in the sales group), like lead_cards.
CREATE TABLE message_refs (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel    text   NOT NULL,
    ref        text   NOT NULL,
    PRIMARY KEY (message_id, channel)
);

-- A team member's reply names its card (a Slack thread's ts).
CREATE INDEX lead_cards_ref_idx ON lead_cards (channel, ref);

-- A customer message nobody answered within routing.respond_within is
-- escalated once.
CREATE TABLE message_escalations (
    message_id bigint PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL
);

-- A reply in the sales group may answer a relayed message, not the card.
CREATE INDEX message_refs_ref_idx ON message_refs (channel, ref);

-- One relay at a time per conversation, so its messages keep their order:
-- a lease row rather than an advisory lock, which would hold a connection
-- for the whole relay.
CREATE TABLE conversation_locks (
    lead_id bigint      PRIMARY KEY,
    holder  text        NOT NULL,
    until   timestamptz NOT NULL
);
