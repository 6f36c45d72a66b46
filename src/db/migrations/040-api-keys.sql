-- Keys for the intake API (online shop, POS). Only a SHA-256 of each key is kept: the keys are 256
-- random bits, so a fast hash is enough (no password stretching needed). The prefix is the key's
-- first characters, safe to show on the admin page and in logs.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_by INTEGER REFERENCES staff (id),
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
) STRICT;

-- A name identifies one active key; a revoked key's name can be given to its replacement.
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
