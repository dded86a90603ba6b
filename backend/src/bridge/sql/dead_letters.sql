SELECT id, integration_id, ordering_key, attempts, last_status, last_error, created_at, dead_at
FROM outbox_dead ORDER BY id
