-- Staff correct an order after it came in (a mistyped number, a customer who calls to change the
-- address or the items). Each correction is kept: when, by whom, and each changed field's value
-- before and after, as JSON ({"phone": ["+31611111111", "+31622222222"]}).
CREATE TABLE order_edits (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  edited_at TEXT NOT NULL,
  edited_by INTEGER REFERENCES staff (id),
  changes TEXT NOT NULL
) STRICT;

CREATE INDEX order_edits_order ON order_edits (order_id, id);

-- A digest of what the order held when it came in: a retried API request or a resent New order
-- form is still recognised as the same order after staff corrected it. NULL for orders stored
-- before corrections existed, which were never corrected: their fields are what came in.
ALTER TABLE orders ADD COLUMN intake_digest TEXT;
