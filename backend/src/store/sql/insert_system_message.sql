INSERT INTO messages (conversation_id, seq, author_kind, text, text_format, sent_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
