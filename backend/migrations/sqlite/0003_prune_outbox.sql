-- Delivered commands are now deleted as they are delivered; drop the ones kept before.
DELETE FROM outbox WHERE delivered_at IS NOT NULL;
