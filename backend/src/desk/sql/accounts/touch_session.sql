UPDATE operator_sessions SET last_used_at = $1 WHERE token_hash = $2
