-- Operators who answer from the console (PostgreSQL): accounts on this server, their sessions, and
-- the state operators keep on conversations. The collaboration server's users stay in
-- `operators`; an account that writes into an integration gets an `operators` row there too, so
-- every operator message names its author the same way.

CREATE TABLE operator_accounts (
    id BIGSERIAL PRIMARY KEY,
    -- Lower-cased; the login name.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- A PHC string (Argon2id).
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

-- The integrations an account answers; it sees nothing of any other.
CREATE TABLE operator_account_integrations (
    account_id BIGINT NOT NULL REFERENCES operator_accounts (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    PRIMARY KEY (account_id, integration_id)
);

-- A logged-in console or API client: only the SHA-256 of its token is kept.
CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES operator_accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    -- The absolute end; idleness is judged from `last_used_at`.
    expires_at BIGINT NOT NULL
);
CREATE INDEX operator_sessions_by_account ON operator_sessions (account_id);

-- The account behind an operator row, for rows made for console operators.
ALTER TABLE operators ADD COLUMN account_id BIGINT REFERENCES operator_accounts (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX operators_by_account ON operators (integration_id, account_id);

-- What operators keep on a conversation: its status (`open` or `closed`), who answers it, when
-- it last changed (the inbox's order), where the visitor last wrote from, and the last message
-- any operator has read (the visitor's "seen").
ALTER TABLE conversations ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE conversations ADD COLUMN assignee_id BIGINT REFERENCES operator_accounts (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN last_activity_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_page_url TEXT;
ALTER TABLE conversations ADD COLUMN last_page_title TEXT;
ALTER TABLE conversations ADD COLUMN operator_read_seq BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET last_activity_at = COALESCE(
    (SELECT MAX(sent_at) FROM messages WHERE messages.conversation_id = conversations.id),
    created_at);
CREATE INDEX conversations_inbox ON conversations (integration_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_by_assignee ON conversations (assignee_id, status, last_activity_at DESC, id DESC);

-- How far each account has read each conversation (its unread counts).
CREATE TABLE operator_reads (
    account_id BIGINT NOT NULL REFERENCES operator_accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    read_seq BIGINT NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
);
