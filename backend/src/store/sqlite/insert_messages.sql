-- A batch's new messages, numbered, each operator's message under the operator's name as the
-- store knows it. $1: a JSON array of [conversation_id, seq, client_id, author_kind,
-- author_name, visitor_id, integration_id, author_ext_user_id, ext_id, text, text_format,
-- page_url, page_title]; $2: when they were sent. Returns each message's id, place and author
-- as stored.
INSERT INTO messages (conversation_id, seq, client_id, author_kind, author_name, visitor_id,
    operator_id, ext_id, text, text_format, page_url, page_title, sent_at)
SELECT f.value ->> 0, f.value ->> 1, f.value ->> 2, f.value ->> 3,
    COALESCE(o.name, f.value ->> 4), f.value ->> 5, o.id, f.value ->> 8, f.value ->> 9,
    f.value ->> 10, f.value ->> 11, f.value ->> 12, $2
FROM json_each($1) f
LEFT JOIN operators o ON o.integration_id = f.value ->> 6 AND o.ext_user_id = f.value ->> 7
ORDER BY f.key
RETURNING id, conversation_id, seq, author_name,
    (SELECT CASE WHEN p.picture_type IS NULL THEN NULL ELSE p.id END
        FROM operators p WHERE p.id = messages.operator_id) AS picture_of
