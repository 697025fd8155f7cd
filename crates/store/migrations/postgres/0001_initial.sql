-- The PostGIS store. Geometries are WGS84 longitude/latitude (SRID 4326,
-- RFC 7946 axis order), each with a GiST index.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE organisations (
    id        BIGINT PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    ags       TEXT,
    parent_id BIGINT REFERENCES organisations (id),
    seat      geometry(Point, 4326)
);
CREATE SEQUENCE organisations_id_seq OWNED BY organisations.id;
CREATE INDEX organisations_seat ON organisations USING gist (seat);

CREATE TABLE procedures (
    id              BIGINT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    external_id     TEXT NOT NULL,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    start_date      DATE NOT NULL,
    end_date        DATE,
    status_override TEXT,
    url             TEXT NOT NULL,
    -- A Polygon, MultiPolygon or Point; NULL for statewide procedures.
    area            geometry(Geometry, 4326),
    categories      JSONB NOT NULL DEFAULT '[]',
    UNIQUE (organisation_id, external_id),
    CHECK (area IS NULL OR GeometryType(area) IN ('POLYGON', 'MULTIPOLYGON', 'POINT'))
);
CREATE SEQUENCE procedures_id_seq OWNED BY procedures.id;
CREATE INDEX procedures_area ON procedures USING gist (area);

CREATE TABLE reports (
    id            BIGINT PRIMARY KEY,
    procedure_id  BIGINT NOT NULL REFERENCES procedures (id),
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    status        TEXT NOT NULL,
    location      geometry(Point, 4326) NOT NULL,
    created       TIMESTAMPTZ NOT NULL,
    -- Private: never selected for the index, tiles or public answers.
    contact_email TEXT
);
CREATE SEQUENCE reports_id_seq OWNED BY reports.id;
CREATE INDEX reports_location ON reports USING gist (location);
CREATE INDEX reports_procedure ON reports (procedure_id);

-- The change sequence: every committed write appends one row per entity and
-- operation with the ids it changed. Rows are appended at commit under an
-- advisory lock, so `seq` order is commit order: a reader that sees `seq` n
-- sees every change before it. Committing notifies channel
-- `partimap_changes` with the new `seq`.
CREATE TABLE changes (
    seq    BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    op     TEXT NOT NULL,
    ids    BIGINT[] NOT NULL,
    at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
