-- A status change made through the API (a shop cancelling its order, or the order coming in)
-- names the API key that made it, as staff changes name the account.
ALTER TABLE order_status_changes ADD COLUMN api_key_id INTEGER REFERENCES api_keys (id);
