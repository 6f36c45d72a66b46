-- The customer's own link to follow their order (SQLite migration 135).
CREATE TABLE order_tracking (
  order_id TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
  token TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
