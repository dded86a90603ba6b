-- Only operators' messages carry the collaboration server's id: visitors' messages (most of
-- them) no longer add an entry of NULL to this index, one page write fewer each. Every lookup
-- by extId compares it with `=`, which the partial index serves.
DROP INDEX messages_by_ext_id;
CREATE UNIQUE INDEX messages_by_ext_id ON messages (conversation_id, ext_id) WHERE ext_id IS NOT NULL;
