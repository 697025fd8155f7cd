-- Bearer tokens for writes, stored as SHA-256 hashes of the token. A token
-- without organisation is an admin token.
CREATE TABLE tokens (
    id              INTEGER PRIMARY KEY,
    hash            TEXT NOT NULL UNIQUE,
    organisation_id INTEGER REFERENCES organisations (id),
    label           TEXT NOT NULL,
    created         TEXT NOT NULL
);
