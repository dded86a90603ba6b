SELECT a.id, a.email, a.name, i.integration_id
FROM operator_accounts a
LEFT JOIN operator_account_integrations i ON i.account_id = a.id
ORDER BY a.email, i.integration_id
