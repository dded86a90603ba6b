INSERT INTO operator_account_integrations (account_id, integration_id) VALUES ($1, $2)
ON CONFLICT (account_id, integration_id) DO NOTHING
