-- An ordering key's first undelivered commands, through the outbox's queue index.
SELECT id, ordering_key, command, attempts, next_attempt_at FROM outbox
WHERE integration_id = $1 AND delivered_at IS NULL AND ordering_key = $2
ORDER BY id LIMIT $3
