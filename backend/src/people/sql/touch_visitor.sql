UPDATE visitors SET last_seen_at = $1 WHERE id = $2
