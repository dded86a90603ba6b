SELECT p.id, p.integration_id, p.sub, p.name, p.email, p.phone
FROM visitors v JOIN people p ON p.id = v.person_id WHERE v.id = $1
