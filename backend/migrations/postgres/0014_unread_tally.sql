-- The inbox's unread counts without reading a row per open conversation: the conversations
-- with visitor messages, by integration, status and assignee, counted from this index alone;
-- the account's read positions then take away the ones it has read to the end.
CREATE INDEX conversations_unread_tally ON conversations (integration_id, status, assignee_id)
    WHERE last_visitor_seq > 0;
