-- Commands the collaboration server refused for good (a 4xx other than 404, 408, 409 or 429)
-- `[bridge] max_attempts` times are set aside here, so they no longer hold up their
-- conversation's later commands. `webchat-server outbox retry` moves them back into the outbox
-- under the same id (so ahead of the conversation's newer commands still queued).
CREATE TABLE outbox_dead (
    id BIGINT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    conversation_id BIGINT,
    ordering_key TEXT NOT NULL,
    command TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT NOT NULL,
    dead_at BIGINT NOT NULL
);
CREATE INDEX outbox_dead_by_integration ON outbox_dead (integration_id, id);

-- Attempts refused for good, counted apart from outages (which are retried forever): only
-- refusals count towards `max_attempts`. A default, so the queueing inserts are unchanged.
ALTER TABLE outbox ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;
