DELETE FROM operator_accounts WHERE email = $1 RETURNING id
