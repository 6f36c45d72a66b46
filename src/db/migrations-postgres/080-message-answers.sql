-- Staff answer a customer's text with a text of their own (see the SQLite migration 115).
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'answer'));
