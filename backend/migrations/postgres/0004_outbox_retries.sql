-- Commands that failed at least once are the heads their conversations wait on: the worker
-- finds those due for a retry through this small index instead of reading the whole outbox.
CREATE INDEX outbox_retries ON outbox (integration_id, next_attempt_at) WHERE attempts > 0;
-- Every outbox row is undelivered now (delivered ones are deleted), so `outbox_queue` serves
-- every read and this index only cost writes.
DROP INDEX outbox_pending;
