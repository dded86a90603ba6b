-- The bridge to the collaboration server (SQLite).

-- The id a person has in the collaboration server, set when its createUser is queued.
ALTER TABLE people ADD COLUMN ext_user_id TEXT;

-- The id a conversation has in the collaboration server (ours, or the one 1C chose), and when
-- its createConversation was queued.
ALTER TABLE conversations ADD COLUMN ext_id TEXT;
ALTER TABLE conversations ADD COLUMN announced_at INTEGER;
CREATE UNIQUE INDEX conversations_by_ext_id ON conversations (integration_id, ext_id);

-- Operators: the collaboration server's users, defined by inbound createUser / updateUser.
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id TEXT NOT NULL,
    ext_user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    picture TEXT,
    updated_at INTEGER NOT NULL,
    UNIQUE (integration_id, ext_user_id)
);

-- Operator messages keep the collaboration server's extId and their author.
ALTER TABLE messages ADD COLUMN ext_id TEXT;
ALTER TABLE messages ADD COLUMN operator_id INTEGER REFERENCES operators (id);
CREATE UNIQUE INDEX messages_by_ext_id ON messages (conversation_id, ext_id);

-- Commands are delivered in order per ordering key (the conversation they concern).
ALTER TABLE outbox ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_queue ON outbox (integration_id, delivered_at, ordering_key, id);
