-- The operator row $2 joins conversation $1 in the collaboration server: a row back the first
-- time only.
INSERT INTO conversation_console_members (conversation_id, operator_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING conversation_id
