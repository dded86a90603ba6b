UPDATE conversations SET person_id = $1 WHERE person_id = $2
RETURNING id, integration_id, ext_id, announced_at
