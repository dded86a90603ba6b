SELECT id, password_hash FROM operator_accounts WHERE email = $1
