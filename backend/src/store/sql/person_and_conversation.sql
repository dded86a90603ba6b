SELECT p.integration_id, p.sub, p.name, p.email, p.phone, p.ext_user_id,
    c.id AS conversation_id
FROM people p LEFT JOIN conversations c ON c.person_id = p.id WHERE p.id = $1
