-- Whether the board's "Text the customer" box starts ticked for each status (an admin setting).
-- One row per status; a status without a row starts unticked.
CREATE TABLE status_text_defaults (
  status TEXT PRIMARY KEY CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered')),
  text_customer INTEGER NOT NULL CHECK (text_customer IN (0, 1))
) STRICT;

INSERT INTO status_text_defaults (status, text_customer) VALUES
  ('pending', 0), ('confirmed', 1), ('delayed', 1), ('delivered', 1);
