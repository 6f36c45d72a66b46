-- Status updates to the shop (webhooks): the address and signing secret of each API key, and the
-- outbox of events for the shops (SQLite migration 145).
ALTER TABLE api_keys ADD COLUMN webhook_url TEXT;
ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT;

CREATE TABLE webhook_deliveries (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
  order_id TEXT REFERENCES orders (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  claimed_by TEXT,
  created_at TEXT NOT NULL,
  last_attempt_at TEXT,
  delivered_at TEXT,
  last_status INTEGER,
  last_error TEXT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (api_key_id, id);
CREATE INDEX webhook_deliveries_key_state ON webhook_deliveries (api_key_id, state, delivered_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (order_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE state IN ('delivered', 'failed', 'cancelled');
