-- A new canned reply ($1 integration, $2 shortcut, $3 text, at $4).
INSERT INTO canned_replies (integration_id, shortcut, text, created_at, updated_at)
VALUES ($1, $2, $3, $4, $4)
RETURNING id, integration_id, shortcut, text, created_at, updated_at
