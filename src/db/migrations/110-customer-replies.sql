-- What customers text back that is not STOP or START ("please ring twice", "I'm at the back door"):
-- kept and shown to the kitchen on the order's row and page until someone marks it read.
CREATE TABLE customer_replies (
  id INTEGER PRIMARY KEY,
  -- MessageBird's id of the incoming message, when the flow forwards it: a retried call is kept once.
  provider_message_id TEXT UNIQUE,
  -- E.164, as orders.phone stores it.
  phone TEXT NOT NULL,
  -- The sender's order it was read as an answer to (the newest active one, else the newest); NULL
  -- when the number is on no order.
  order_id TEXT REFERENCES orders (id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL,
  read_at TEXT,
  -- Who marked it read: NULL while unread, and for history imported without a reader (db:fake).
  read_by INTEGER REFERENCES staff (id)
) STRICT;

CREATE INDEX customer_replies_order ON customer_replies (order_id, id);
-- Only the unread replies are in these: each row's (the board), and all of them, newest first (the
-- board's count and notice, the Replies page's Unread only), however many were read before.
CREATE INDEX customer_replies_unread ON customer_replies (order_id, id) WHERE read_at IS NULL;
CREATE INDEX customer_replies_unread_newest ON customer_replies (id) WHERE read_at IS NULL;
CREATE INDEX customer_replies_received ON customer_replies (received_at, id);

-- A reply finds its order by the sender's number; so do the opt-out triggers, which read every
-- order without it.
CREATE INDEX orders_phone ON orders (phone, created_at);

-- A reply shows on its order's row and in the board's count of unread texts: open boards learn of
-- it, and of its being read, at once. A reply on no order has no row to show again: its event
-- carries the empty order id, and the boards take only the new count (and its notice).
CREATE TRIGGER board_events_reply_received AFTER INSERT ON customer_replies
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', coalesce(NEW.order_id, ''));
END;

CREATE TRIGGER board_events_reply_read AFTER UPDATE ON customer_replies
WHEN OLD.read_at IS NOT NEW.read_at
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', coalesce(NEW.order_id, ''));
END;
