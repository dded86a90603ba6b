-- A write first, so SQLite takes its write lock before the reads that follow.
UPDATE visitors SET person_id = person_id WHERE id = $1
