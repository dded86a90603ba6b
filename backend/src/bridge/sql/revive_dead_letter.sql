-- Under its old id: ahead of the newer commands of its conversation still queued.
-- `attempts` stays above zero, which is what the worker's look for retries finds.
INSERT INTO outbox (id, integration_id, conversation_id, ordering_key, command, created_at, attempts,
    next_attempt_at, last_error, refusals)
SELECT id, integration_id, conversation_id, ordering_key, command, created_at, attempts, $1,
    last_error, 0
FROM outbox_dead WHERE id = $2
RETURNING id
