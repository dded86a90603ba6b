-- A batch of new messages, whatever its size, in one statement: move each conversation's
-- counter past its new messages (keeping what the inbox shows of it: last activity, status `open`
-- again when the visitor wrote, the visitor's last page and last message's number), insert them
-- numbered after it, and queue their webhook commands.
-- A conversation that is no longer what the batch was planned with (its person, and the ids the
-- collaboration server knows it and its person by, which the queued commands carry) is not
-- counted: its messages' numbers are then NULL, which messages.seq refuses, and nothing is written.
-- Returns each message's id, number and author as stored, then each command's id (number NULL).
WITH taken AS (
    SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $23::TEXT[], $24::TEXT[],
        $25::TEXT[], $26::BIGINT[], $27::TEXT[], $28::TEXT[])
    AS t (id, n, person_id, status, page_url, page_title, visitor_ordinal, ext_id, ext_user_id)
), advanced AS (
    UPDATE conversations c SET last_seq = c.last_seq + t.n, last_activity_at = $18,
        status = COALESCE(t.status, c.status),
        last_page_url = COALESCE(t.page_url, c.last_page_url),
        last_page_title = CASE WHEN t.page_url IS NULL THEN c.last_page_title ELSE t.page_title END,
        last_visitor_seq = CASE WHEN t.visitor_ordinal IS NULL THEN c.last_visitor_seq
            ELSE c.last_seq + 1 + t.visitor_ordinal END
    FROM taken t, people p
    WHERE c.id = t.id AND p.id = c.person_id
        AND (t.person_id IS NULL OR c.person_id = t.person_id)
        AND (t.ext_id IS NULL OR (c.announced_at IS NOT NULL AND c.ext_id = t.ext_id))
        AND (t.ext_user_id IS NULL OR p.ext_user_id = t.ext_user_id)
    RETURNING c.id, c.last_seq - t.n AS base
), fresh AS (
    SELECT * FROM UNNEST($4::BIGINT[], $5::BIGINT[], $6::BIGINT[], $7::TEXT[], $8::TEXT[],
        $9::TEXT[], $10::BIGINT[], $11::TEXT[], $12::TEXT[], $13::TEXT[], $14::TEXT[],
        $15::TEXT[], $16::TEXT[], $17::TEXT[])
    AS f (id, conversation_id, ordinal, client_id, author_kind, author_name, visitor_id,
        integration_id, author_ext_user_id, ext_id, text, text_format, page_url, page_title)
), inserted AS (
    INSERT INTO messages (id, conversation_id, seq, client_id, author_kind, author_name,
        visitor_id, operator_id, ext_id, text, text_format, page_url, page_title, sent_at)
    SELECT f.id, f.conversation_id, a.base + 1 + f.ordinal, f.client_id, f.author_kind,
        COALESCE(o.name, f.author_name), f.visitor_id, o.id, f.ext_id, f.text, f.text_format,
        f.page_url, f.page_title, $18
    FROM fresh f
    LEFT JOIN advanced a ON a.id = f.conversation_id
    LEFT JOIN operators o ON o.integration_id = f.integration_id
        AND o.ext_user_id = f.author_ext_user_id
    RETURNING id, seq, author_name, operator_id
), queued AS (
    INSERT INTO outbox (integration_id, conversation_id, ordering_key, command, created_at,
        next_attempt_at)
    SELECT q.integration_id, q.conversation_id, q.ordering_key, q.command, $18, $18
    FROM UNNEST($19::TEXT[], $20::BIGINT[], $21::TEXT[], $22::TEXT[]) WITH ORDINALITY
        AS q (integration_id, conversation_id, ordering_key, command, position)
    ORDER BY q.position
    RETURNING id
)
SELECT i.id, i.seq, i.author_name,
    CASE WHEN o.picture_type IS NULL THEN NULL ELSE o.id END AS picture_of
FROM inserted i LEFT JOIN operators o ON o.id = i.operator_id
UNION ALL
SELECT id, NULL, NULL, NULL FROM queued
