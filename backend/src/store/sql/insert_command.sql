INSERT INTO outbox (integration_id, conversation_id, ordering_key, command, created_at,
    next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $5) RETURNING id
