SELECT m.id, m.conversation_id, m.seq, m.client_id, m.author_kind,
    COALESCE(o.name, m.author_name) AS author_name, m.text, m.text_format, m.sent_at,
    m.edited_at, CASE WHEN o.picture_type IS NULL THEN NULL ELSE o.id END AS picture_of
FROM messages m LEFT JOIN operators o ON o.id = m.operator_id
WHERE m.id = $1
