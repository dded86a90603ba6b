-- A batch's new messages, numbered, each operator's message under the operator's name as the
-- store knows it. $1: a JSON array of [conversation_id, seq, client_id, author_kind,
-- author_name, visitor_id, integration_id, author_ext_user_id, ext_id, text, text_format,
-- page_url, page_title]; $2: when they were sent. Returns each message's id, place and author
-- as stored. Each row's array is taken out of the batch once (`MATERIALIZED`): read through
-- `json_each` directly, every `->>` would take it out again.
WITH f AS MATERIALIZED (SELECT key, value AS v FROM json_each($1))
INSERT INTO messages (conversation_id, seq, client_id, author_kind, author_name, visitor_id,
    operator_id, ext_id, text, text_format, page_url, page_title, sent_at)
SELECT f.v ->> 0, f.v ->> 1, f.v ->> 2, f.v ->> 3, COALESCE(o.name, f.v ->> 4), f.v ->> 5,
    o.id, f.v ->> 8, f.v ->> 9, f.v ->> 10, f.v ->> 11, f.v ->> 12, $2
FROM f
LEFT JOIN operators o ON o.integration_id = f.v ->> 6 AND o.ext_user_id = f.v ->> 7
ORDER BY f.key
RETURNING id, conversation_id, seq, author_name,
    (SELECT CASE WHEN p.picture_type IS NULL THEN NULL ELSE p.id END
        FROM operators p WHERE p.id = messages.operator_id) AS picture_of
