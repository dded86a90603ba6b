INSERT INTO operator_sessions (token_hash, account_id, created_at, last_used_at, expires_at)
VALUES ($1, $2, $3, $3, $4)
