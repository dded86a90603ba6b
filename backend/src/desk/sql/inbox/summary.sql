-- After summary_columns.sql: one conversation, if it is of one of the account $1's integrations.
JOIN operator_account_integrations i ON i.integration_id = c.integration_id AND i.account_id = $1
WHERE c.id = $2
