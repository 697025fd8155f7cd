-- Bearer tokens for writes, stored as SHA-256 hashes of the token. A token
-- without organisation is an admin token.
CREATE TABLE tokens (
    id              BIGSERIAL PRIMARY KEY,
    hash            TEXT NOT NULL UNIQUE,
    organisation_id BIGINT REFERENCES organisations (id),
    label           TEXT NOT NULL,
    created         TIMESTAMPTZ NOT NULL DEFAULT now()
);
