-- A fifth status, 'cancelled' (see the SQLite migration 100): the status checks take it, the
-- board's and the Done view's partial indexes count it as finished, and the opt-out triggers leave
-- cancelled orders alone as they do delivered ones.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered', 'cancelled'));

DROP INDEX orders_active;
DROP INDEX orders_done;
CREATE INDEX orders_active ON orders (created_at, rowid) INCLUDE (status) WHERE status NOT IN ('delivered', 'cancelled');
CREATE INDEX orders_done ON orders (updated_at, rowid) WHERE status IN ('delivered', 'cancelled');

CREATE OR REPLACE FUNCTION board_events_opted_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = NEW.phone AND status NOT IN ('delivered', 'cancelled');
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION board_events_opted_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = OLD.phone AND status NOT IN ('delivered', 'cancelled');
  RETURN NULL;
END $$;

-- Unticked by default: a cancellation is often the customer's own call.
ALTER TABLE status_text_defaults DROP CONSTRAINT status_text_defaults_status_check;
ALTER TABLE status_text_defaults ADD CONSTRAINT status_text_defaults_status_check
  CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered', 'cancelled'));
INSERT INTO status_text_defaults (status, text_customer) VALUES ('cancelled', 0) ON CONFLICT (status) DO NOTHING;
