SELECT integration_id FROM operator_account_integrations WHERE account_id = $1
ORDER BY integration_id
