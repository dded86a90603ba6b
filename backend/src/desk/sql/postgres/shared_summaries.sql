-- After summary_columns.sql, with $1 NULL: the conversations of the array $2 as an account that
-- has read none of them sees them, for every operator socket of their integrations at once.
WHERE c.id = ANY($2)
