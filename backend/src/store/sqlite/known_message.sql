-- One visitor's message of a batch: its person, the person's conversation, and the message
-- stored before under its client id.
SELECT p.id AS person_id, $2 AS client_id, p.ext_user_id, c.id AS conversation_id,
    c.ext_id AS ext_conversation_id, c.announced_at, m.id AS existing
FROM people p
LEFT JOIN conversations c ON c.person_id = p.id
LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_id = $2
WHERE p.id = $1
