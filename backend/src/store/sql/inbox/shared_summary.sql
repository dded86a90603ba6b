-- After summary_columns.sql, with $1 NULL: one conversation as an account that has read none of
-- it sees it, for every operator socket of its integration at once (each puts in its own unread
-- count, read by reader_unread.sql).
WHERE c.id = $2
