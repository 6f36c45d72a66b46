CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  customer_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  items TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The course's "fulfilled" time: set by the first delivery, never overwritten.
  delivered_at TEXT
) STRICT;

CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE order_status_changes (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  changed_at TEXT NOT NULL
) STRICT;

CREATE INDEX order_status_changes_order ON order_status_changes (order_id, id);
