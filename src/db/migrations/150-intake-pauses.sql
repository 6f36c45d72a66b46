-- "We are swamped": staff pause the online orders for a while. The intake API refuses new orders
-- for as soon as possible until `until` (or until someone resumes early: ended_at), the shops hear
-- of it (status updates), and every board shows it. Kept as a history, newest last.
CREATE TABLE intake_pauses (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  until TEXT NOT NULL,
  started_by INTEGER REFERENCES staff (id),
  ended_at TEXT,
  ended_by INTEGER REFERENCES staff (id)
) STRICT;

-- Open boards show the pause (the counts' line) at once, and its end when resumed early.
CREATE TRIGGER board_events_intake_paused AFTER INSERT ON intake_pauses
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', '');
END;

CREATE TRIGGER board_events_intake_resumed AFTER UPDATE ON intake_pauses
WHEN OLD.ended_at IS NOT NEW.ended_at
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', '');
END;
