-- Each message names the status change it announces, so duplicate protection is per change, not per
-- (order, status): an order that goes delayed → confirmed → delayed is texted about the second delay.
ALTER TABLE messages ADD COLUMN status_change_id INTEGER REFERENCES order_status_changes (id);

-- Earlier messages announced the latest change to their status made before they were asked for.
UPDATE messages SET status_change_id = (
  SELECT max(change.id) FROM order_status_changes AS change
  WHERE change.order_id = messages.order_id AND change.status = messages.order_status
    AND change.changed_at <= messages.requested_at
);

CREATE INDEX messages_status_change ON messages (status_change_id);
