-- The operator row a console account writes as in an integration.
SELECT id, ext_user_id, name, announced_at FROM operators WHERE integration_id = $1 AND account_id = $2
