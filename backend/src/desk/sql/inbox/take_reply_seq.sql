-- The next number of the conversation's messages, taken for an operator's reply, which moves the
-- conversation up the inbox.
UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = $2 WHERE id = $1
RETURNING last_seq
