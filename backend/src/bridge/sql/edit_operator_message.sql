UPDATE messages SET text = $1, text_format = $2, edited_at = $3
WHERE conversation_id = $4 AND ext_id = $5 RETURNING id
