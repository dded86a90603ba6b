UPDATE conversations SET ext_id = $1, announced_at = $2 WHERE id = $3
