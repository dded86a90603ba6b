-- After summary_columns.sql, with $1 NULL: the conversations of the JSON array $2 as an account
-- that has read none of them sees them, for every operator socket of their integrations at once.
-- SQLite looks each one up by its rowid.
WHERE c.id IN (SELECT value FROM json_each($2))
