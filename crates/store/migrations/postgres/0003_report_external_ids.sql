-- Reports brought by an organisation's import keep the id it gave them,
-- unique within the procedure: a second import matches on it. Ids of rows
-- inserted in bulk come from the sequence.
ALTER TABLE reports ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX reports_external_id ON reports (procedure_id, external_id)
    WHERE external_id IS NOT NULL;
ALTER TABLE reports ALTER COLUMN id SET DEFAULT nextval('reports_id_seq');
