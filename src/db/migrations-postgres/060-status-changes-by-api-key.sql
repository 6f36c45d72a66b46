-- A status change made through the API names the API key that made it (SQLite migration 105).
ALTER TABLE order_status_changes ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id);
