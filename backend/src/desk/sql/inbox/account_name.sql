SELECT name FROM operator_accounts WHERE id = $1
