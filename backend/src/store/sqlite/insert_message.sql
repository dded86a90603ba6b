INSERT INTO messages (conversation_id, seq, client_id, author_kind, author_name, visitor_id,
    operator_id, ext_id, text, text_format, page_url, page_title, sent_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
