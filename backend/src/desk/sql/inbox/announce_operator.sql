UPDATE operators SET announced_at = $1 WHERE id = $2
