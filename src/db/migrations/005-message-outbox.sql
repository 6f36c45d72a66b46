-- The message table becomes the outbox: rows wait as 'queued' until next_attempt_at.
ALTER TABLE messages ADD COLUMN provider_status TEXT;
ALTER TABLE messages ADD COLUMN provider_status_at TEXT;

CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_in_flight ON messages (state) WHERE state = 'sending';
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
