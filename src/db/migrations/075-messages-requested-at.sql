-- The Messages page and the message log export read messages by when they were asked for: a day's
-- or a range's messages are one index range, not a scan of the whole log. The rowid every index
-- carries keeps rows of the same instant in id order for the export's paging.
CREATE INDEX messages_requested_at ON messages (requested_at);
