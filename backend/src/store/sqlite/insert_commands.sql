-- A batch's webhook commands, queued in the order given. $1: a JSON array of [integration_id,
-- conversation_id, ordering_key, command]; $2: now. Returns their ids, which grow in that order.
INSERT INTO outbox (integration_id, conversation_id, ordering_key, command, created_at,
    next_attempt_at)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, $2, $2
FROM json_each($1)
ORDER BY key
RETURNING id
