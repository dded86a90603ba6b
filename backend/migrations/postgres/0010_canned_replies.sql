-- Canned replies (PostgreSQL): texts kept per integration that console operators insert by
-- their shortcut (`/` in the composer). Shortcuts are stored lower-cased, so the unique key is
-- also case-insensitive.
CREATE TABLE canned_replies (
    id BIGSERIAL PRIMARY KEY,
    integration_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (integration_id, shortcut)
);
