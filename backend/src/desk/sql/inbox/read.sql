-- The account $1 has read the conversation $2 up to $3: its position only moves forward.
INSERT INTO operator_reads (account_id, conversation_id, read_seq) VALUES ($1, $2, $3)
ON CONFLICT (account_id, conversation_id) DO UPDATE SET read_seq = CASE
    WHEN excluded.read_seq > operator_reads.read_seq THEN excluded.read_seq
    ELSE operator_reads.read_seq END
