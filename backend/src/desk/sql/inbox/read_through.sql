-- Those of unread_tally.sql's conversations of the integration $2 that the account $1 has read to
-- the end, by assignee (0: unassigned; NULL: the account's other reads, not counted). Each of the
-- account's read positions looks its conversation up by id alone, so the cost follows the
-- account's reads whatever the engine's statistics say: with any other condition in the lookup
-- or a join, a planner that believes the conversations few walks every open one instead.
-- MATERIALIZED: each lookup once (inlined, SQLite ran it again for the grouping).
WITH reads AS MATERIALIZED (
    SELECT (SELECT CASE WHEN c.integration_id = $2 AND c.status = 'open'
                    AND c.last_visitor_seq > 0 AND o.read_seq >= c.last_visitor_seq
                THEN COALESCE(c.assignee_id, 0) END
            FROM conversations c WHERE c.id = o.conversation_id) AS assignee
    FROM operator_reads o
    WHERE o.account_id = $1)
SELECT assignee, COUNT(*) AS conversations
FROM reads
GROUP BY assignee
