UPDATE messages SET ext_id = $1 WHERE id = $2
