-- A bulk import records a million report ids in one change row: stored out
-- of line without compression, the array is written in a fraction of the
-- time pglz takes to compress it (1.0 s -> 0.3 s for a million ids).
ALTER TABLE changes ALTER COLUMN ids SET STORAGE EXTERNAL;
-- External ids are identifiers: compared byte by byte ("C"), which makes
-- the unique index on (procedure_id, external_id) quicker to build and to
-- search than under the database's linguistic collation.
ALTER TABLE reports ALTER COLUMN external_id TYPE TEXT COLLATE "C";
