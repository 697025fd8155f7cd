-- A defect reporter may publish its citizens' report locations snapped to a
-- grid of this many metres; the exact place is kept for its moderators.
ALTER TABLE procedures ADD COLUMN location_precision_m INTEGER
    CHECK (location_precision_m BETWEEN 1 AND 1000);
ALTER TABLE reports ADD COLUMN exact_location geometry(Point, 4326);
