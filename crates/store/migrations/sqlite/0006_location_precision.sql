-- See the PostGIS migration of the same name.
ALTER TABLE procedures ADD COLUMN location_precision_m INTEGER
    CHECK (location_precision_m BETWEEN 1 AND 1000);
ALTER TABLE reports ADD COLUMN exact_lon REAL;
ALTER TABLE reports ADD COLUMN exact_lat REAL;
