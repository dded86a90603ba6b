-- A write first, so SQLite takes its write lock before the reads that follow.
DELETE FROM conversations WHERE id = -1
