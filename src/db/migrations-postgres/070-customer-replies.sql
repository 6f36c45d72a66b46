-- What customers text back that is not STOP or START (see the SQLite migration 110).
CREATE TABLE customer_replies (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_message_id TEXT UNIQUE,
  phone TEXT NOT NULL,
  order_id TEXT REFERENCES orders (id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL,
  read_at TEXT,
  read_by BIGINT REFERENCES staff (id)
);

CREATE INDEX customer_replies_order ON customer_replies (order_id, id);
CREATE INDEX customer_replies_unread ON customer_replies (order_id, id) WHERE read_at IS NULL;
CREATE INDEX customer_replies_unread_newest ON customer_replies (id) WHERE read_at IS NULL;
CREATE INDEX customer_replies_received ON customer_replies (received_at, id);

CREATE INDEX orders_phone ON orders (phone, created_at);

-- A reply, and its being read, wake the boards; one on no order with the empty order id: they
-- take only the new counts. One function for both triggers (SQLite writes each trigger's body).
CREATE FUNCTION board_events_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', coalesce(NEW.order_id, ''));
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_reply_received AFTER INSERT ON customer_replies
  FOR EACH ROW EXECUTE FUNCTION board_events_reply();
CREATE TRIGGER board_events_reply_read AFTER UPDATE ON customer_replies
  FOR EACH ROW WHEN (OLD.read_at IS DISTINCT FROM NEW.read_at) EXECUTE FUNCTION board_events_reply();
