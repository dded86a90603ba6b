-- The furthest any operator has read the conversation (the visitor's "seen"), moved forward.
UPDATE conversations SET operator_read_seq = $1 WHERE id = $2 AND operator_read_seq < $1 RETURNING id
