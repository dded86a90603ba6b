-- Deletes delivered commands. $1: a JSON array of their ids.
DELETE FROM outbox WHERE id IN (SELECT value FROM json_each($1))
