UPDATE conversations SET person_id = $1
WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM conversations WHERE person_id = $1)
RETURNING id, integration_id, ext_id, announced_at
