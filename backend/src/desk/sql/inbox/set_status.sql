UPDATE conversations SET status = $1 WHERE id = $2 AND status <> $1 RETURNING id
