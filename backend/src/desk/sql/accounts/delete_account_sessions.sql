DELETE FROM operator_sessions WHERE account_id = $1
