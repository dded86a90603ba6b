-- How many open conversations of an integration have visitor messages the account $1 has not
-- read: all of them, the unassigned ones, and the account's own.
SELECT COUNT(*) AS all_unread,
    COUNT(CASE WHEN c.assignee_id IS NULL THEN 1 END) AS unassigned,
    COUNT(CASE WHEN c.assignee_id = $1 THEN 1 END) AS mine
FROM conversations c
LEFT JOIN operator_reads r ON r.conversation_id = c.id AND r.account_id = $1
WHERE c.integration_id = $2 AND c.status = 'open' AND c.last_visitor_seq > COALESCE(r.read_seq, 0)
