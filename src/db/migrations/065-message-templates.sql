-- Every saved version of the text for each order status; the newest one per status is what
-- customers get, and a status without any is sent the guide's text from the code. Nothing is
-- updated or deleted: the history is the table. The status is checked by the app against the one
-- list of statuses (src/orders/order-status.ts).
CREATE TABLE message_template_versions (
  id INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(trim(body)) > 0),
  saved_by INTEGER REFERENCES staff (id),
  saved_at TEXT NOT NULL
) STRICT;

-- The notifier reads the newest version of one status for every message: one index seek.
CREATE INDEX message_template_versions_status ON message_template_versions (status, id);
