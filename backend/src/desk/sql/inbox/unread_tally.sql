-- An integration's open conversations with visitor messages, counted by assignee (NULL:
-- unassigned), from conversations_unread_tally's entries alone: read once for all its operators,
-- each of whom then takes away the ones it has read to the end (read_through.sql).
SELECT assignee_id, COUNT(*) AS conversations
FROM conversations
WHERE integration_id = $1 AND status = 'open' AND last_visitor_seq > 0
GROUP BY assignee_id
