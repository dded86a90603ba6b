SELECT id FROM conversations WHERE person_id = $1
