SELECT id, email, name FROM operator_accounts WHERE id = $1
