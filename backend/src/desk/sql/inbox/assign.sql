-- Gives the conversation $2 to $1 only if it is still $3's: of two operators taking it at once,
-- the second finds it taken and changes nothing.
UPDATE conversations SET assignee_id = $1 WHERE id = $2 AND assignee_id IS NOT DISTINCT FROM $3 RETURNING id
