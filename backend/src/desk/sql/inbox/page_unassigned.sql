-- After summary_columns.sql: a page of an integration's unassigned conversations, through
-- conversations_unassigned.
WHERE c.integration_id = $2 AND c.status = $3 AND (c.last_activity_at, c.id) < ($4, $5) AND c.assignee_id IS NULL
ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $6
