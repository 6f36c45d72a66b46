-- Why an order was cancelled (see the SQLite migration 120).
ALTER TABLE order_status_changes ADD COLUMN reason TEXT;
