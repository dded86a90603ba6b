-- The next number of the conversation's messages, taken: the writer's batches take theirs from
-- the same counter in their own statements, so a message numbered here never collides.
UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq
