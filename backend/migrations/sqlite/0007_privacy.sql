-- Privacy and smaller leaks (SQLite).

-- Operators' pictures as served: the decoded bytes, their type (decided from the bytes) and an
-- entity tag for conditional requests. Pictures stored before as base64 in `picture` are
-- converted by the server when it starts (SQLite has no base64 decoder); `picture` keeps only
-- what could not be read as an image, which was never served.
ALTER TABLE operators ADD COLUMN picture_data BLOB;
ALTER TABLE operators ADD COLUMN picture_type TEXT;
ALTER TABLE operators ADD COLUMN picture_etag TEXT;

-- When a visitor token was last used to connect, to within a day: tokens idle for longer than
-- `limits.visitor_idle_days` are refused. Visitors from before count as seen now.
ALTER TABLE visitors ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE visitors SET last_seen_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
