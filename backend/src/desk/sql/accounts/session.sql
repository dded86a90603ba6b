SELECT s.account_id, s.last_used_at, a.email, a.name
FROM operator_sessions s JOIN operator_accounts a ON a.id = s.account_id
WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_used_at > $3
