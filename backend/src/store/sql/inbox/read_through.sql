-- Those of unread_tally.sql's conversations of the integration $2 that the account $1 has read to
-- the end, by assignee: found through its read positions, so the cost follows the account's
-- reads. (`CROSS JOIN` keeps SQLite's planner, which has no statistics, from walking every open
-- conversation to find the reads.)
SELECT c.assignee_id, COUNT(*) AS conversations
FROM operator_reads o
CROSS JOIN conversations c
WHERE o.account_id = $1 AND c.id = o.conversation_id AND c.integration_id = $2
    AND c.status = 'open' AND c.last_visitor_seq > 0 AND o.read_seq >= c.last_visitor_seq
GROUP BY c.assignee_id
