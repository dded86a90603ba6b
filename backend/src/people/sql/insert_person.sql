INSERT INTO people (integration_id, sub, created_at) VALUES ($1, $2, $3) RETURNING id
