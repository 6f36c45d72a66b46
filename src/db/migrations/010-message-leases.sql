-- Message states live in one list in the code (src/notifications/message-states.ts), synced into
-- this table at start-up; the messages table refers to it instead of repeating the list in a CHECK.
CREATE TABLE message_states (name TEXT PRIMARY KEY) STRICT;
INSERT INTO message_states (name) SELECT DISTINCT state FROM messages;

-- SQLite cannot drop a CHECK constraint, so the table is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter).
-- New: who claimed a row (a process's instance id) and until when (its lease), and when the last
-- send started, so an unknown outcome is looked up at MessageBird before anything is sent again.
CREATE TABLE messages_new (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  order_status TEXT NOT NULL,
  body TEXT NOT NULL,
  recipient TEXT NOT NULL,
  reference TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL REFERENCES message_states (name),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  provider_message_id TEXT,
  error_code INTEGER,
  error_description TEXT,
  requested_by INTEGER REFERENCES staff (id),
  requested_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  provider_status TEXT,
  provider_status_at TEXT,
  claimed_by TEXT,
  lease_until TEXT,
  last_attempt_at TEXT
) STRICT;

INSERT INTO messages_new (id, order_id, order_status, body, recipient, reference, state, attempts, next_attempt_at,
    provider_message_id, error_code, error_description, requested_by, requested_at, updated_at, provider_status, provider_status_at,
    last_attempt_at)
  SELECT id, order_id, order_status, body, recipient, reference, state, attempts, next_attempt_at,
    provider_message_id, error_code, error_description, requested_by, requested_at, updated_at, provider_status, provider_status_at,
    CASE WHEN state = 'sending' THEN updated_at END
  FROM messages;

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

CREATE INDEX messages_order ON messages (order_id, id);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_checking ON messages (next_attempt_at) WHERE state = 'checking';
CREATE INDEX messages_in_flight ON messages (state) WHERE state = 'sending';
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
