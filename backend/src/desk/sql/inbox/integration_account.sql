-- The account $1, with its name, if it answers the integration $2.
SELECT a.id, a.name FROM operator_accounts a
JOIN operator_account_integrations i ON i.account_id = a.id AND i.integration_id = $2
WHERE a.id = $1
