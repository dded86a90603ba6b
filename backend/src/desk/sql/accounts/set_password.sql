UPDATE operator_accounts SET password_hash = $1, password_changed_at = $2 WHERE email = $3
RETURNING id
