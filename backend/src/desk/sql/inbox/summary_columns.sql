-- What an inbox shows of a conversation, as the account $1 sees it (unread visitor messages
-- counted up to 100); each statement that lists conversations is this, then its own tail
-- (`page_*.sql`, `summary.sql`), joined where the statement is built.
SELECT c.id, c.integration_id, p.name, p.email, p.phone, p.sub, p.created_at AS first_seen_at,
    c.last_page_url, c.last_page_title, c.last_activity_at, c.status, c.created_at,
    a.id AS assignee_id, a.name AS assignee_name, m.author_kind AS last_author_kind,
    substr(m.text, 1, 2000) AS last_text, m.text_format AS last_text_format,
    m.sent_at AS last_sent_at, c.visitor_read_seq,
    (SELECT v.browser FROM visitors v WHERE v.person_id = c.person_id
        ORDER BY v.id DESC LIMIT 1) AS browser,
    (SELECT COUNT(*) FROM (SELECT 1 FROM messages u
        WHERE u.conversation_id = c.id AND u.seq > COALESCE(r.read_seq, 0)
            AND u.author_kind = 'visitor' LIMIT 100) AS unread_messages) AS unread
FROM conversations c
JOIN people p ON p.id = c.person_id
LEFT JOIN operator_accounts a ON a.id = c.assignee_id
LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
LEFT JOIN operator_reads r ON r.conversation_id = c.id AND r.account_id = $1
