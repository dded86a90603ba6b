-- Core tables of the web chat (PostgreSQL). Times are milliseconds since the Unix epoch.

CREATE TABLE server_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- A person the site talks to: anonymous (sub NULL) or identified by a matching-key token.
CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    integration_id TEXT NOT NULL,
    sub TEXT,
    name TEXT,
    email TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX people_by_sub ON people (integration_id, sub);

-- One browser's visitor token (only its SHA-256 is kept), bound to a person.
CREATE TABLE visitors (
    id BIGSERIAL PRIMARY KEY,
    integration_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    person_id BIGINT NOT NULL REFERENCES people (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    integration_id TEXT NOT NULL,
    person_id BIGINT NOT NULL UNIQUE REFERENCES people (id),
    title TEXT,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    seq BIGINT NOT NULL,
    client_id TEXT,
    author_kind TEXT NOT NULL,
    author_name TEXT,
    visitor_id BIGINT REFERENCES visitors (id),
    text TEXT NOT NULL,
    text_format TEXT NOT NULL,
    page_url TEXT,
    page_title TEXT,
    sent_at BIGINT NOT NULL,
    edited_at BIGINT,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);

-- Commands waiting for delivery to the collaboration server, in id order per conversation.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    integration_id TEXT NOT NULL,
    conversation_id BIGINT,
    command TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (integration_id, delivered_at, id);
