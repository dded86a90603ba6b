SELECT a.id, a.name, i.integration_id
FROM operator_accounts a
JOIN operator_account_integrations i ON i.account_id = a.id
JOIN operator_account_integrations mine
  ON mine.integration_id = i.integration_id AND mine.account_id = $1
ORDER BY a.name, a.id, i.integration_id
