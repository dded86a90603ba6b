-- The Mine view's index holds assigned conversations only. Every message moves its
-- conversation's entry in each index ordered by last activity; an unassigned conversation's
-- entry here (under a NULL assignee) served no query, as the Mine view asks for one assignee
-- and the Unassigned view reads conversations_unassigned.
DROP INDEX conversations_by_assignee;
CREATE INDEX conversations_by_assignee ON conversations (assignee_id, status, last_activity_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
