-- One row per SMS: what was sent to whom, for which status, by whom, and what became of it.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  order_status TEXT NOT NULL,
  body TEXT NOT NULL,
  recipient TEXT NOT NULL,
  reference TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'not-sent')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  provider_message_id TEXT,
  error_code INTEGER,
  error_description TEXT,
  requested_by INTEGER REFERENCES staff (id),
  requested_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX messages_order ON messages (order_id, id);
