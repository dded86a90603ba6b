SELECT id, ext_user_id, name FROM operators WHERE integration_id = $1 AND ext_user_id = $2
