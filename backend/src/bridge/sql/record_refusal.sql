UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, next_attempt_at = $1,
    last_error = $2
WHERE id = $3 RETURNING refusals
