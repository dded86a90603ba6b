-- Which of a batch's operators' messages were stored before.
SELECT m.conversation_id, m.ext_id
FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS w (conversation_id, ext_id)
JOIN messages m ON m.conversation_id = w.conversation_id AND m.ext_id = w.ext_id
