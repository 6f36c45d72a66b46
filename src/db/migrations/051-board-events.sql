-- What every open board must learn, in order. Triggers fill it whoever writes (any route, the
-- dispatcher, a delivery report, another process on the same file); each server process tails it
-- and pushes new rows to its /events streams, and a reconnecting board replays from its Last-Event-ID.
-- AUTOINCREMENT: ids never go back, even after pruning emptied the table.
CREATE TABLE board_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('order-created', 'order-changed', 'message-changed')),
  order_id TEXT NOT NULL
) STRICT;

CREATE TRIGGER board_events_order_created AFTER INSERT ON orders
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-created', NEW.id);
END;

CREATE TRIGGER board_events_order_changed AFTER UPDATE ON orders
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', NEW.id);
END;

CREATE TRIGGER board_events_status_changed AFTER INSERT ON order_status_changes
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', NEW.order_id);
END;

CREATE TRIGGER board_events_message_created AFTER INSERT ON messages
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('message-changed', NEW.order_id);
END;

-- Only what the board shows of a message: bookkeeping such as a lease renewal wakes no board.
CREATE TRIGGER board_events_message_changed AFTER UPDATE ON messages
WHEN OLD.state IS NOT NEW.state OR OLD.error_description IS NOT NEW.error_description
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('message-changed', NEW.order_id);
END;
