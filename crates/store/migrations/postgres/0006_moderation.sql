-- Citizens' reports and their moderation. A procedure says when its
-- citizens' reports become public: `pre` (hidden until a moderator publishes
-- them) or `post` (public at once).
ALTER TABLE procedures ADD COLUMN moderation TEXT NOT NULL DEFAULT 'pre'
    CHECK (moderation IN ('pre', 'post'));
-- The moderator's public note on a report's status (a rejection's reason),
-- and the citizen's own text once a moderator has edited the description.
ALTER TABLE reports ADD COLUMN status_note TEXT;
ALTER TABLE reports ADD COLUMN original_description TEXT;
-- The audit log: who changed which report when, from which status to which.
-- No foreign key onto reports: the log outlives a deleted report, and a key
-- referring to reports would keep bulk imports from dropping its primary key.
CREATE TABLE report_events (
    id                 BIGSERIAL PRIMARY KEY,
    report_id          BIGINT NOT NULL,
    at                 TIMESTAMPTZ NOT NULL,
    -- The moderator's token; NULL for the citizen's submission.
    token_id           BIGINT,
    old_status         TEXT,
    new_status         TEXT NOT NULL,
    note               TEXT,
    description_edited BOOLEAN NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);
