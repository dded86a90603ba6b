-- Moves the conversation's counter past the numbers its new messages take; returns the last
-- number before them.
UPDATE conversations SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq - $1 AS base
