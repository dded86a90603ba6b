INSERT INTO conversations (integration_id, person_id, title, ext_id, announced_at, created_at)
VALUES ($1, $2, $3, $4, $5, $5) RETURNING id
