-- After summary_columns.sql: a page of the conversations of an integration the account $1
-- answers, through conversations_by_assignee.
WHERE c.integration_id = $2 AND c.status = $3 AND (c.last_activity_at, c.id) < ($4, $5) AND c.assignee_id = $1
ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $6
