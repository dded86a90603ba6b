SELECT v.id, v.integration_id, v.person_id, p.sub, p.name, p.email, p.phone, v.last_seen_at
FROM visitors v JOIN people p ON p.id = v.person_id
WHERE v.revoked_at IS NULL
AND v.token_hash = $1 AND v.integration_id = $2 AND v.last_seen_at >= $3
