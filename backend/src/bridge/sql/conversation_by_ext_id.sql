-- A conversation not announced yet is known by its own id; both branches are index lookups
-- (comparing CAST(id AS TEXT) made the engines look at every conversation not announced).
SELECT id, person_id FROM conversations
WHERE integration_id = $1 AND (ext_id = $2 OR (id = $3 AND ext_id IS NULL))
