-- The visitor has seen conversation $2 up to $1: forward only, never past its last message;
-- a row comes back only when the position moved.
UPDATE conversations SET visitor_read_seq = $1
WHERE id = $2 AND visitor_read_seq < $1 AND last_seq >= $1
RETURNING visitor_read_seq
