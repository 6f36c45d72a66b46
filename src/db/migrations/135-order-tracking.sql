-- The customer's own link to follow their order ({trackingLink} in a message template): a short
-- random token per order, made the first time a text carries it. Kept beside the orders, not in
-- them, so making one is not a change to the order (no board event, no new row on every screen).
CREATE TABLE order_tracking (
  order_id TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
  token TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;
