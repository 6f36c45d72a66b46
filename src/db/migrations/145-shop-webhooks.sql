-- Status updates to the shop (webhooks): an API key may name an address to which every status
-- change of the orders it sent is posted, signed with the key's own secret (Standard Webhooks).
-- The secret is kept as it is, not hashed: the server needs it to sign each delivery.
ALTER TABLE api_keys ADD COLUMN webhook_url TEXT;
ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT;

-- The webhooks' outbox: one row per event for the shop, written in the transaction of the change it
-- reports, so an event is never lost to a crash and never made for a change that rolled back. The
-- body is fixed when the row is written: every attempt sends the same bytes and the same event id,
-- by which the shop recognises a repeat (a delivery is at least once, never silently dropped).
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  -- The webhook-id header: the same on every attempt.
  event_id TEXT NOT NULL UNIQUE,
  api_key_id INTEGER NOT NULL REFERENCES api_keys (id),
  -- NULL for a test event sent from the API keys page.
  order_id TEXT REFERENCES orders (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  -- Which process is sending it; while it is, next_attempt_at is when that claim runs out (a
  -- process that died mid-send leaves it due again then).
  claimed_by TEXT,
  created_at TEXT NOT NULL,
  last_attempt_at TEXT,
  delivered_at TEXT,
  -- What the shop's server answered last: its HTTP status, or why there was none.
  last_status INTEGER,
  last_error TEXT
) STRICT;

-- The sender's look for due work reads only what is waiting or being sent, however long the log.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
-- Each key's latest deliveries, on the API keys page.
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (api_key_id, id);
-- Its counts (waiting, gave up) and last delivery: seeks, however many were delivered before.
CREATE INDEX webhook_deliveries_key_state ON webhook_deliveries (api_key_id, state, delivered_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (order_id);
-- The sender's hourly sweep of finished deliveries older than they are kept (webhook-sender.ts).
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE state IN ('delivered', 'failed', 'cancelled');
