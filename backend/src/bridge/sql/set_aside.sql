INSERT INTO outbox_dead (id, integration_id, conversation_id, ordering_key, command, created_at,
    attempts, last_status, last_error, dead_at)
SELECT id, integration_id, conversation_id, ordering_key, command, created_at, attempts, $1, $2, $3
FROM outbox WHERE id = $4
