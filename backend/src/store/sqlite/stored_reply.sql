SELECT id FROM messages WHERE conversation_id = $1 AND ext_id = $2
