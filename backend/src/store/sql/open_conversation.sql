-- The person's conversation, created with its first message.
INSERT INTO conversations (integration_id, person_id, created_at) VALUES ($1, $2, $3)
ON CONFLICT (person_id) DO UPDATE SET person_id = excluded.person_id
RETURNING id, ext_id, announced_at
