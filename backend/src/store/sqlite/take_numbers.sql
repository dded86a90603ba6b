-- Moves the conversation's counter past the numbers its new messages take, and keeps what the
-- inbox shows of it: its last activity, its status (`open` again when the visitor wrote), the
-- visitor's last page, and the number of the visitor's last message ($7: its ordinal among
-- the new ones). Returns the last number before them.
UPDATE conversations SET last_seq = last_seq + $1, last_activity_at = $3,
    status = COALESCE($4, status),
    last_page_url = COALESCE($5, last_page_url),
    last_page_title = CASE WHEN $5 IS NULL THEN last_page_title ELSE $6 END,
    last_visitor_seq = CASE WHEN $7 IS NULL THEN last_visitor_seq ELSE last_seq + 1 + $7 END
WHERE id = $2 RETURNING last_seq - $1 AS base
