-- Console operators who joined a conversation in the collaboration server: a message's author
-- must be a member of its discussion there, so an operator's first reply in a bridged
-- conversation is preceded by `updateConversation` with `addMembers`, queued once per
-- operator and conversation.
CREATE TABLE conversation_console_members (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    operator_id BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, operator_id)
);
