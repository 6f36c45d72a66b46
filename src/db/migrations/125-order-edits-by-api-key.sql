-- A shop corrects its order through the API (PATCH /api/orders/{id}): the correction names the API
-- key that made it, as a staff correction names the account.
ALTER TABLE order_edits ADD COLUMN api_key_id INTEGER REFERENCES api_keys (id);
