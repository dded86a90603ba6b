-- Each ordering key's first undelivered commands, every key read through the outbox's queue
-- index on its own.
SELECT o.* FROM UNNEST($3::TEXT[]) AS k (ordering_key)
CROSS JOIN LATERAL (
    SELECT id, ordering_key, command, attempts, next_attempt_at FROM outbox
    WHERE integration_id = $1 AND delivered_at IS NULL AND ordering_key = k.ordering_key
    ORDER BY id LIMIT $2
) AS o
