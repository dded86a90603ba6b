INSERT INTO operator_accounts (email, name, password_hash, created_at, password_changed_at)
VALUES ($1, $2, $3, $4, $4) RETURNING id
