-- How many open conversations of an integration have visitor messages the account $1 has not
-- read: all of them, the unassigned ones, and the account's own. Those with visitor messages
-- (counted in conversations_unread_tally alone), less those the account has read to the end
-- (found through its read positions): the cost follows the open conversations' index entries
-- and the account's reads, never a row per conversation. (`CROSS JOIN` keeps SQLite's
-- planner, which has no statistics, from walking every open conversation to find the reads.)
SELECT w.all_unread - r.all_unread AS all_unread, w.unassigned - r.unassigned AS unassigned,
    w.mine - r.mine AS mine
FROM (SELECT COUNT(*) AS all_unread,
        COUNT(CASE WHEN assignee_id IS NULL THEN 1 END) AS unassigned,
        COUNT(CASE WHEN assignee_id = $1 THEN 1 END) AS mine
    FROM conversations
    WHERE integration_id = $2 AND status = 'open' AND last_visitor_seq > 0) w,
    (SELECT COUNT(*) AS all_unread,
        COUNT(CASE WHEN c.assignee_id IS NULL THEN 1 END) AS unassigned,
        COUNT(CASE WHEN c.assignee_id = $1 THEN 1 END) AS mine
    FROM operator_reads o
    CROSS JOIN conversations c
    WHERE o.account_id = $1 AND c.id = o.conversation_id AND c.integration_id = $2 AND c.status = 'open'
        AND c.last_visitor_seq > 0 AND o.read_seq >= c.last_visitor_seq) r
