-- Reports brought by an organisation's import keep the id it gave them,
-- unique within the procedure: a second import matches on it.
ALTER TABLE reports ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX reports_external_id ON reports (procedure_id, external_id)
    WHERE external_id IS NOT NULL;
