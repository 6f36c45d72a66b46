-- The board reads only what it shows: active orders through a partial index, so its cost follows
-- the kitchen's queue, not the years of delivered orders behind it.
CREATE INDEX orders_active ON orders (created_at, status) WHERE status <> 'delivered';

-- Delivered orders by the time they were (last) marked delivered: the board's "just delivered"
-- rows, the Done view's days and its keyset paging (rowid is the tie-breaker every index carries).
CREATE INDEX orders_done ON orders (updated_at) WHERE status = 'delivered';
