-- count new message ids, in increasing order; the sequence is looked up once, not per id.
WITH sequence AS MATERIALIZED (SELECT pg_get_serial_sequence('messages', 'id')::regclass AS name)
SELECT nextval(name) AS id FROM sequence, generate_series(1, $1)
