SELECT id FROM people WHERE integration_id = $1 AND sub = $2
