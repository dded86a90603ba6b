DELETE FROM operator_sessions WHERE account_id = $1 AND (expires_at <= $2 OR last_used_at <= $3)
