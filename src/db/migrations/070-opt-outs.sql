-- Customers who asked for no more texts. Every opt-out and opt-in is kept (who, when, how);
-- opted_out_phones holds the numbers opted out now, each with the event that did it, so the check
-- before every text is one primary-key look-up.
CREATE TABLE opt_out_events (
  id INTEGER PRIMARY KEY,
  -- E.164, as orders.phone and messages.recipient store it.
  phone TEXT NOT NULL,
  opted_out INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
  -- 'keyword': the customer replied STOP/START…; 'staff': marked by hand (a customer who called).
  source TEXT NOT NULL CHECK (source IN ('keyword', 'staff')),
  -- The keyword as the customer wrote it, trimmed, for a keyword event.
  keyword TEXT,
  staff_id INTEGER REFERENCES staff (id),
  at TEXT NOT NULL,
  CHECK ((source = 'keyword') = (keyword IS NOT NULL)),
  CHECK (source = 'keyword' OR staff_id IS NOT NULL)
) STRICT;

CREATE INDEX opt_out_events_phone ON opt_out_events (phone, id);

CREATE TABLE opted_out_phones (
  phone TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES opt_out_events (id)
) STRICT, WITHOUT ROWID;

-- The board shows "opted out" on the customer's rows: open boards learn of a change at once.
CREATE TRIGGER board_events_opted_out AFTER INSERT ON opted_out_phones
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = NEW.phone AND status <> 'delivered';
END;

CREATE TRIGGER board_events_opted_in AFTER DELETE ON opted_out_phones
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = OLD.phone AND status <> 'delivered';
END;
