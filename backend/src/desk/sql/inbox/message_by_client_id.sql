-- The message stored under a client id in the conversation, and the account whose operator
-- wrote it (NULL for a visitor's).
SELECT m.id, o.account_id FROM messages m LEFT JOIN operators o ON o.id = m.operator_id
WHERE m.conversation_id = $1 AND m.client_id = $2
