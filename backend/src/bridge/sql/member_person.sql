-- The person announced as $2 first; else a site user named by its namespaced id (site-{sub})
-- or, as before namespaces, by its bare sub.
SELECT p.id, c.id AS conversation_id FROM people p
LEFT JOIN conversations c ON c.person_id = p.id
WHERE p.integration_id = $1 AND (p.ext_user_id = $2 OR p.sub = $2 OR p.sub = $3)
ORDER BY CASE WHEN p.ext_user_id = $2 THEN 0 ELSE 1 END LIMIT 1
