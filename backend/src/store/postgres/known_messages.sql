-- A batch's visitors' messages, one row each: the person, its conversation, and the message
-- stored before under the client id.
SELECT w.person_id, w.client_id, p.ext_user_id, c.id AS conversation_id,
    c.ext_id AS ext_conversation_id, c.announced_at, m.id AS existing
FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS w (person_id, client_id)
JOIN people p ON p.id = w.person_id
LEFT JOIN conversations c ON c.person_id = p.id
LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_id = w.client_id
