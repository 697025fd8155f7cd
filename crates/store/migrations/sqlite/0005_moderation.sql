-- Citizens' reports and their moderation (see the PostGIS migration of the
-- same name): the procedure's moderation, a report's public status note and
-- the citizen's original text, and the audit log.
ALTER TABLE procedures ADD COLUMN moderation TEXT NOT NULL DEFAULT 'pre'
    CHECK (moderation IN ('pre', 'post'));
ALTER TABLE reports ADD COLUMN status_note TEXT;
ALTER TABLE reports ADD COLUMN original_description TEXT;
CREATE TABLE report_events (
    id                 INTEGER PRIMARY KEY,
    report_id          INTEGER NOT NULL,
    at                 TEXT NOT NULL,
    token_id           INTEGER,
    old_status         TEXT,
    new_status         TEXT NOT NULL,
    note               TEXT,
    description_edited INTEGER NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);
