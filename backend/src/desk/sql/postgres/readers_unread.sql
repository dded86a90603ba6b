-- After sql/inbox/readers_unread.sql: the conversations of the array $1.
WHERE r.conversation_id = ANY($1)
