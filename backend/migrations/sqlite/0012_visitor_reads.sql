-- How far the visitor has seen its conversation (the widget open on it): the console shows the
-- operators' messages up to this `seq` as seen. It only moves forward, and never past last_seq.
ALTER TABLE conversations ADD COLUMN visitor_read_seq INTEGER NOT NULL DEFAULT 0;
