-- Orders for later ("deliver at 19:30", a pick-up tomorrow at noon): the time the customer asked
-- for, or NULL for as soon as possible. The board sorts and marks an order late by it.
ALTER TABLE orders ADD COLUMN scheduled_for TEXT;
