-- Canned replies (SQLite): texts kept per integration that console operators insert by their
-- shortcut (`/` in the composer). Shortcuts are stored lower-cased, so the unique key is also
-- case-insensitive.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (integration_id, shortcut)
);
