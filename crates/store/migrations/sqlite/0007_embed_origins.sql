-- The origins whose pages may frame an organisation's procedure maps,
-- space-separated (CSP frame-ancestors sources).
ALTER TABLE organisations ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '';
