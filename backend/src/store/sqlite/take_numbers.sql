-- Moves each conversation's counter past the numbers its new messages take, and keeps what the
-- inbox shows of it: its last activity ($2), its status (`open` again when the visitor wrote),
-- the visitor's last page, and the number of the visitor's last message (its ordinal among the
-- new ones). $1: a JSON array of [conversation_id, taken, status, page_url, page_title,
-- visitor_ordinal]. Returns each conversation's counter after them. Each row's array is taken
-- out of the batch once (`MATERIALIZED`), not once per column.
WITH r AS MATERIALIZED (SELECT value AS v FROM json_each($1))
UPDATE conversations SET last_seq = last_seq + t.taken, last_activity_at = $2,
    status = COALESCE(t.status, conversations.status),
    last_page_url = COALESCE(t.page_url, last_page_url),
    last_page_title = CASE WHEN t.page_url IS NULL THEN last_page_title ELSE t.page_title END,
    last_visitor_seq = CASE WHEN t.visitor_ordinal IS NULL THEN last_visitor_seq
        ELSE last_seq + 1 + t.visitor_ordinal END
FROM (SELECT v ->> 0 AS id, v ->> 1 AS taken, v ->> 2 AS status, v ->> 3 AS page_url,
        v ->> 4 AS page_title, v ->> 5 AS visitor_ordinal
    FROM r) AS t
WHERE conversations.id = t.id
RETURNING conversations.id, conversations.last_seq
