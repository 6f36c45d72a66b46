-- A delay as staff set it ("+20 min") and the delivery time the kitchen now expects. Both stay when
-- the order moves on, so a second delay counts from the time the customer was last given.
ALTER TABLE orders ADD COLUMN delay_minutes INTEGER CHECK (delay_minutes BETWEEN 1 AND 180);
ALTER TABLE orders ADD COLUMN expected_at TEXT;
