-- The Messages page and the message log export read messages by when they were asked for: a day's
-- or a range's messages are one index range, not a scan of the whole log. State and MessageBird's
-- status time ride along, so the page's counts and delivery times never visit the table; the
-- rowid every index carries keeps the export's paging in order.
CREATE INDEX messages_requested_at ON messages (requested_at, state, provider_status_at);
