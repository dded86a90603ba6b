-- A write first, so SQLite takes its write lock before the read that follows.
DELETE FROM operators WHERE id = -1
