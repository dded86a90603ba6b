-- The account $4's operator row in the integration $1, named as the account, unless it has one.
INSERT INTO operators (integration_id, ext_user_id, name, full_name, updated_at, account_id)
SELECT $1, $2, name, name, $3, id FROM operator_accounts WHERE id = $4
ON CONFLICT DO NOTHING
