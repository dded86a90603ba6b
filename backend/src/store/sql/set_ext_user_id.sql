UPDATE people SET ext_user_id = $1 WHERE id = $2
