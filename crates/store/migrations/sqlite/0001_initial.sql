-- The embedded store. Geometries are WGS84 longitude/latitude (RFC 7946):
-- areas and seats as GeoJSON geometry text, report locations as two columns.
CREATE TABLE organisations (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    ags       TEXT,
    parent_id INTEGER REFERENCES organisations (id),
    seat      TEXT
);

CREATE TABLE procedures (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    external_id     TEXT NOT NULL,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    end_date        TEXT,
    status_override TEXT,
    url             TEXT NOT NULL,
    area            TEXT,
    categories      TEXT NOT NULL DEFAULT '[]',
    UNIQUE (organisation_id, external_id)
);

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    procedure_id  INTEGER NOT NULL REFERENCES procedures (id),
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    status        TEXT NOT NULL,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    created       TEXT NOT NULL,
    -- Private: never selected for the index, tiles or public answers.
    contact_email TEXT
);
CREATE INDEX reports_procedure ON reports (procedure_id);

-- The change sequence: every committed write appends one row per changed
-- entity; readers follow it by `seq`.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    op        TEXT NOT NULL,
    at        TEXT NOT NULL
);
