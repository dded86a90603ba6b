-- For each account that has read some of the conversations listed in $1 (the engine's
-- `readers_unread.sql` tail picks them): its visitor messages after that account's read
-- position, counted up to 100 like summary_columns.sql counts them.
SELECT r.conversation_id, r.account_id,
    (SELECT COUNT(*) FROM (SELECT 1 FROM messages u
        WHERE u.conversation_id = r.conversation_id AND u.seq > r.read_seq
            AND u.author_kind = 'visitor' LIMIT 100) AS unread_messages) AS unread
FROM operator_reads r
