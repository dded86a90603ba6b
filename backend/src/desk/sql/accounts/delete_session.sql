DELETE FROM operator_sessions WHERE token_hash = $1
