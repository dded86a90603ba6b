SELECT id, name, CASE WHEN picture_type IS NULL THEN NULL ELSE id END AS picture_of
FROM operators WHERE integration_id = $1 AND ext_user_id = $2
