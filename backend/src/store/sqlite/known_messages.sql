-- A batch's visitors' messages, one row each: the person, its conversation, and the message
-- stored before under the client id. $1: a JSON array of [person_id, client_id].
SELECT p.id AS person_id, w.value ->> 1 AS client_id, p.ext_user_id, c.id AS conversation_id,
    c.ext_id AS ext_conversation_id, c.announced_at, m.id AS existing
FROM json_each($1) w
JOIN people p ON p.id = w.value ->> 0
LEFT JOIN conversations c ON c.person_id = p.id
LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_id = w.value ->> 1
