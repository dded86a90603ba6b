UPDATE visitors SET person_id = $1, token_hash = $2 WHERE id = $3
