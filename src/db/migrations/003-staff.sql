CREATE TABLE staff (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
  disabled_at TEXT,
  -- Sessions signed in before this moment (ms since epoch) are void: set by a password reset or disabling.
  sessions_valid_after INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- Lets disabling an account end its sessions at once.
ALTER TABLE sessions ADD COLUMN staff_id INTEGER;
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Who changed the status (NULL for changes made before accounts existed, and for seeding).
ALTER TABLE order_status_changes ADD COLUMN changed_by INTEGER REFERENCES staff (id);

CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
  key TEXT NOT NULL,
  failed_at INTEGER NOT NULL
) STRICT;

CREATE INDEX login_failures_lookup ON login_failures (scope, key, failed_at);
