-- Orders arrive from the New order form and the intake API.
-- items: one item per line. day: the kitchen's local date (YYYY-MM-DD) the order number belongs to.
ALTER TABLE orders ADD COLUMN number INTEGER;
ALTER TABLE orders ADD COLUMN day TEXT;
ALTER TABLE orders ADD COLUMN note TEXT;
-- The shop's own id for the order: a retried request finds the order it already made.
ALTER TABLE orders ADD COLUMN external_id TEXT;
ALTER TABLE orders ADD COLUMN api_key_id INTEGER REFERENCES api_keys (id);
-- A one-time token in each New order form: a double-clicked or resent form makes one order.
ALTER TABLE orders ADD COLUMN form_token TEXT;

-- Orders stored before numbers existed are numbered by their UTC creation date, oldest first.
UPDATE orders SET day = substr(created_at, 1, 10);
UPDATE orders SET number = numbered.number
FROM (SELECT rowid AS row, row_number() OVER (PARTITION BY day ORDER BY created_at, rowid) AS number FROM orders) AS numbered
WHERE orders.rowid = numbered.row;

CREATE UNIQUE INDEX orders_day_number ON orders (day, number);
CREATE UNIQUE INDEX orders_external_id ON orders (external_id);
CREATE UNIQUE INDEX orders_form_token ON orders (form_token);
