-- A correction made through the API names the API key that made it (SQLite migration 125).
ALTER TABLE order_edits ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id);
