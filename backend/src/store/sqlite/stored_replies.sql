-- Which of a batch's operators' messages were stored before. $1: a JSON array of
-- [conversation_id, ext_id].
SELECT m.conversation_id, m.ext_id
FROM json_each($1) w
JOIN messages m ON m.conversation_id = w.value ->> 0 AND m.ext_id = w.value ->> 1
