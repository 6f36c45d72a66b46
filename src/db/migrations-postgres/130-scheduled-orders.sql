-- Orders for later: the time the customer asked for, or NULL for as soon as possible (SQLite migration 140).
ALTER TABLE orders ADD COLUMN scheduled_for TEXT;
