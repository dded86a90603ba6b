SELECT id, ordering_key, command, attempts, next_attempt_at FROM outbox
WHERE integration_id = $1 AND attempts > 0 AND next_attempt_at <= $2
ORDER BY next_attempt_at LIMIT $3
