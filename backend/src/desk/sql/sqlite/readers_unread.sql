-- After sql/inbox/readers_unread.sql: the conversations of the JSON array $1.
WHERE r.conversation_id IN (SELECT value FROM json_each($1))
