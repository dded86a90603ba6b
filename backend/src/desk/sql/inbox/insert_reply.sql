-- A console operator's reply; its extId, given after, is its own id, so the collaboration server
-- sending it back is refused as a message stored before.
INSERT INTO messages (conversation_id, seq, client_id, author_kind, author_name, operator_id,
    text, text_format, sent_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
