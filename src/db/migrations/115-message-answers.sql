-- Staff answer a customer's text with a text of their own (kind 'answer'). It announces no status
-- change (status_change_id stays NULL): a later change does not stop it, Notify's one text per
-- change does not count it, and the board's row keeps showing the state of the status text.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'answer'));
