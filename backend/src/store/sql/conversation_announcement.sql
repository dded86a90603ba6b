SELECT ext_id, announced_at FROM conversations WHERE id = $1
