SELECT COUNT(*) AS depth, MIN(created_at) AS oldest,
    (SELECT COUNT(*) FROM outbox_dead WHERE integration_id = $1) AS dead
FROM outbox WHERE integration_id = $1
