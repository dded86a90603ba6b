-- The head (first undelivered command) of each ordering key, if due.
SELECT o.id, o.ordering_key, o.command, o.attempts, o.next_attempt_at FROM outbox o
JOIN (SELECT MIN(id) AS head FROM outbox WHERE integration_id = $1 AND delivered_at IS NULL
      GROUP BY ordering_key) h ON h.head = o.id
WHERE o.next_attempt_at <= $2 ORDER BY o.id LIMIT $3
