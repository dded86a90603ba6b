-- After summary_columns.sql: a page of an integration's conversations, newest activity first,
-- through conversations_inbox.
WHERE c.integration_id = $2 AND c.status = $3 AND (c.last_activity_at, c.id) < ($4, $5)
ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $6
