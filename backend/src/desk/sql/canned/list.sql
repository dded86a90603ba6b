-- The canned replies of the integrations the account $1 answers, by integration and shortcut.
SELECT c.id, c.integration_id, c.shortcut, c.text, c.created_at, c.updated_at
FROM canned_replies c
JOIN operator_account_integrations i ON i.integration_id = c.integration_id AND i.account_id = $1
ORDER BY c.integration_id, c.shortcut
