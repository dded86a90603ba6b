-- The operator console's inbox (PostgreSQL): what its unread counts and its views read without
-- touching messages, and which console operators the collaboration server was told of.

-- The number of the conversation's last visitor message: a conversation is unread for an
-- account while this is past the account's read position, which counting the inbox's unread
-- conversations compares row by row instead of searching each one's messages.
ALTER TABLE conversations ADD COLUMN last_visitor_seq BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET last_visitor_seq = COALESCE(
    (SELECT MAX(seq) FROM messages
     WHERE messages.conversation_id = conversations.id AND author_kind = 'visitor'), 0);

-- The Unassigned view: without it, a page of unassigned conversations would walk past every
-- assigned one in conversations_inbox.
CREATE INDEX conversations_unassigned ON conversations (integration_id, status, last_activity_at DESC, id DESC)
    WHERE assignee_id IS NULL;

-- When a console operator's createUser was queued for the collaboration server (NULL: not yet,
-- or the operator came from the collaboration server itself).
ALTER TABLE operators ADD COLUMN announced_at BIGINT;
