-- One index serves both: reports by procedure, and a procedure's reports by
-- external id (unique; NULLs, the citizens' reports, are distinct). Imports
-- rebuild one btree less.
DROP INDEX reports_external_id;
DROP INDEX reports_procedure;
CREATE UNIQUE INDEX reports_procedure_external_id ON reports (procedure_id, external_id);
