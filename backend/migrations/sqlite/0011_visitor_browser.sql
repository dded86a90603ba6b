-- The browser a visitor token was made in (its User-Agent, cut to 256 bytes), shown to
-- operators beside the visitor's contact: a token lives in one browser's storage, so the browser
-- it was made in is the one it speaks from. The index finds a person's newest visitor.
ALTER TABLE visitors ADD COLUMN browser TEXT;
CREATE INDEX visitors_by_person ON visitors (person_id, id);
