INSERT INTO visitors (integration_id, token_hash, person_id, created_at, last_seen_at, browser)
VALUES ($1, $2, $3, $4, $4, $5) RETURNING id
