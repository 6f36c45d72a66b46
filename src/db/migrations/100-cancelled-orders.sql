-- migrate: foreign keys off
-- A fifth status, 'cancelled': an order called off (by the customer, out of stock, a test order)
-- leaves the board without being counted or texted as delivered. SQLite cannot change a CHECK
-- constraint in place, so orders is rebuilt by the documented procedure
-- (https://www.sqlite.org/lang_altertable.html#otheralter): new table, copy, drop, rename, then
-- its indexes and triggers again. The marker on the first line makes the runner switch foreign
-- keys off around this file (a DROP TABLE with them on would cascade-delete every order's history
-- and messages) and run PRAGMA foreign_key_check before it commits. rowid is copied: the board's
-- and the Done view's order ties are broken by it.

-- These two read orders; they are made again below, once orders exists again.
DROP TRIGGER board_events_opted_out;
DROP TRIGGER board_events_opted_in;

CREATE TABLE orders_rebuilt (
  id TEXT PRIMARY KEY,
  customer_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  items TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered', 'cancelled')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The course's "fulfilled" time: set by the first delivery, never overwritten.
  delivered_at TEXT,
  number INTEGER,
  day TEXT,
  note TEXT,
  external_id TEXT,
  api_key_id INTEGER REFERENCES api_keys (id),
  form_token TEXT,
  delay_minutes INTEGER CHECK (delay_minutes BETWEEN 1 AND 180),
  expected_at TEXT,
  delivery_address TEXT,
  intake_digest TEXT
) STRICT;

INSERT INTO orders_rebuilt (rowid, id, customer_name, phone, items, status, created_at, updated_at, delivered_at,
    number, day, note, external_id, api_key_id, form_token, delay_minutes, expected_at, delivery_address, intake_digest)
  SELECT rowid, id, customer_name, phone, items, status, created_at, updated_at, delivered_at,
    number, day, note, external_id, api_key_id, form_token, delay_minutes, expected_at, delivery_address, intake_digest
  FROM orders;

DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;

CREATE INDEX orders_created_at ON orders (created_at);
CREATE UNIQUE INDEX orders_day_number ON orders (day, number);
CREATE UNIQUE INDEX orders_external_id ON orders (external_id);
CREATE UNIQUE INDEX orders_form_token ON orders (form_token);
-- The board's active orders and the Done view's finished ones, as in 050, with cancelled orders
-- finished too. The conditions are the code's activeOrderSql and finishedOrderSql, word for word.
CREATE INDEX orders_active ON orders (created_at, status) WHERE status NOT IN ('delivered', 'cancelled');
CREATE INDEX orders_done ON orders (updated_at) WHERE status IN ('delivered', 'cancelled');

CREATE TRIGGER board_events_order_created AFTER INSERT ON orders
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-created', NEW.id);
END;

CREATE TRIGGER board_events_order_changed AFTER UPDATE ON orders
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', NEW.id);
END;

CREATE TRIGGER board_events_opted_out AFTER INSERT ON opted_out_phones
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = NEW.phone AND status NOT IN ('delivered', 'cancelled');
END;

CREATE TRIGGER board_events_opted_in AFTER DELETE ON opted_out_phones
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = OLD.phone AND status NOT IN ('delivered', 'cancelled');
END;

-- The admin's "Text the customer" defaults take the new status too, unticked: a cancellation is
-- often the customer's own call, and a text about it should be a choice.
CREATE TABLE status_text_defaults_rebuilt (
  status TEXT PRIMARY KEY CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered', 'cancelled')),
  text_customer INTEGER NOT NULL CHECK (text_customer IN (0, 1))
) STRICT;
INSERT INTO status_text_defaults_rebuilt (status, text_customer) SELECT status, text_customer FROM status_text_defaults;
INSERT INTO status_text_defaults_rebuilt (status, text_customer) VALUES ('cancelled', 0);
DROP TABLE status_text_defaults;
ALTER TABLE status_text_defaults_rebuilt RENAME TO status_text_defaults;
