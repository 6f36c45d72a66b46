-- PostgreSQL's schema: the same tables, columns, checks, keys, indexes, triggers and seed rows as
-- every SQLite migration in src/db/migrations together (001 to 080). A test compares the two.
-- A later change to the schema is a migration in each folder.
--
-- Deliberate differences from SQLite, each for the engine, not for the data:
-- - Ids are BIGINT identity columns (SQLite: INTEGER PRIMARY KEY, its rowid). GENERATED ALWAYS:
--   an insert that names an id fails at once instead of leaving the sequence behind.
-- - Whole numbers that are milliseconds since 1970 (sessions.expires_at, staff.sessions_valid_after,
--   login_failures.failed_at) and every reference to an id are BIGINT: SQLite's INTEGER is 64 bits.
--   Small counts and flags stay INTEGER.
-- - orders has a real rowid column (identity, unique): SQLite's implicit rowid, which the code
--   orders by as the tie-breaker (`ORDER BY created_at, rowid`).
-- - SQLite's indexes carry the rowid as their last column without saying so; here the indexes that
--   serve an ORDER BY or a keyset page with it name it (orders: rowid; messages: id), and columns
--   that only ride along for counting are INCLUDEd.
-- - COLLATE NOCASE (staff.username, api_keys.name) is the case-insensitive ICU collation nocase below,
--   so equality, uniqueness and order ignore case, as in SQLite (which folds ASCII letters only; ICU
--   folds every script's). PostgreSQL before 18 refuses LIKE on such a column.
-- - Triggers call a function each (named as the trigger); board_events's identity never goes back,
--   as SQLite's AUTOINCREMENT. Unlike SQLite, where one writer commits at a time, ids are handed
--   out before commit: a transaction may commit a smaller board_events id after a larger one.
-- - STRICT and WITHOUT ROWID have no counterpart (every column here has its type).

CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

-- 003
CREATE TABLE staff (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE nocase,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
  disabled_at TEXT,
  -- Sessions signed in before this moment (ms since epoch) are void: set by a password reset or disabling.
  sessions_valid_after BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- 040: only a SHA-256 of each key is kept; the prefix is safe to show.
CREATE TABLE api_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL COLLATE nocase,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_by BIGINT REFERENCES staff (id),
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);

-- A name identifies one active key; a revoked key's name can be given to its replacement.
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

-- 001, 041, 060
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  customer_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  items TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The course's "fulfilled" time: set by the first delivery, never overwritten.
  delivered_at TEXT,
  -- The order's number of its day; day: the kitchen's local date (YYYY-MM-DD) it belongs to.
  number INTEGER,
  day TEXT,
  note TEXT,
  -- The shop's own id for the order: a retried request finds the order it already made.
  external_id TEXT,
  api_key_id BIGINT REFERENCES api_keys (id),
  -- A one-time token in each New order form: a double-clicked or resent form makes one order.
  form_token TEXT,
  -- A delay as staff set it ("+20 min") and the delivery time the kitchen now expects.
  delay_minutes INTEGER CHECK (delay_minutes BETWEEN 1 AND 180),
  expected_at TEXT
);

CREATE INDEX orders_created_at ON orders (created_at, rowid);
CREATE UNIQUE INDEX orders_day_number ON orders (day, number);
CREATE UNIQUE INDEX orders_external_id ON orders (external_id);
CREATE UNIQUE INDEX orders_form_token ON orders (form_token);
-- 050: the board reads active orders through a partial index, so its cost follows the queue, not
-- the years of delivered orders; the Done view pages delivered ones by (updated_at, rowid).
CREATE INDEX orders_active ON orders (created_at, rowid) INCLUDE (status) WHERE status <> 'delivered';
CREATE INDEX orders_done ON orders (updated_at, rowid) WHERE status = 'delivered';

CREATE TABLE order_status_changes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  -- Who changed the status (NULL for seeding).
  changed_by BIGINT REFERENCES staff (id)
);

CREATE INDEX order_status_changes_order ON order_status_changes (order_id, id);

-- 002, 003
CREATE TABLE sessions (
  sid TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  -- Lets disabling an account end its sessions at once.
  staff_id BIGINT
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Values the app generates once and must keep across restarts (e.g. the session secret).
CREATE TABLE app_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE login_failures (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
  key TEXT NOT NULL,
  failed_at BIGINT NOT NULL
);

CREATE INDEX login_failures_lookup ON login_failures (scope, key, failed_at);

-- 010: message states live in one list in the code (src/notifications/message-states.ts), synced
-- into this table at start-up.
CREATE TABLE message_states (name TEXT PRIMARY KEY);

-- 004, 005, 010, 030: one row per SMS, and the outbox (rows wait as 'queued' until next_attempt_at;
-- claimed_by/lease_until: the instance that claimed a row and until when).
CREATE TABLE messages (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  order_status TEXT NOT NULL,
  body TEXT NOT NULL,
  recipient TEXT NOT NULL,
  reference TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL REFERENCES message_states (name),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  provider_message_id TEXT,
  error_code INTEGER,
  error_description TEXT,
  requested_by BIGINT REFERENCES staff (id),
  requested_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  provider_status TEXT,
  provider_status_at TEXT,
  claimed_by TEXT,
  lease_until TEXT,
  last_attempt_at TEXT,
  -- The status change the message announces: duplicate protection is per change.
  status_change_id BIGINT REFERENCES order_status_changes (id)
);

CREATE INDEX messages_order ON messages (order_id, id);
-- The dispatcher claims due rows in (next_attempt_at, id) order: one range of a small index.
CREATE INDEX messages_due ON messages (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX messages_checking ON messages (next_attempt_at, id) WHERE state = 'checking';
CREATE INDEX messages_in_flight ON messages (state) WHERE state = 'sending';
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_status_change ON messages (status_change_id);
-- 075: the Messages page and the export read by requested_at, paging by (requested_at, id).
CREATE INDEX messages_requested_at ON messages (requested_at, id) INCLUDE (state, provider_status_at);
-- 080: lease renewals and hand-backs find an instance's claims without reading the whole log.
CREATE INDEX messages_claimed ON messages (claimed_by) WHERE claimed_by IS NOT NULL;

-- 061: whether the board's "Text the customer" box starts ticked for each status.
CREATE TABLE status_text_defaults (
  status TEXT PRIMARY KEY CHECK (status IN ('pending', 'confirmed', 'delayed', 'delivered')),
  text_customer INTEGER NOT NULL CHECK (text_customer IN (0, 1))
);

INSERT INTO status_text_defaults (status, text_customer) VALUES
  ('pending', 0), ('confirmed', 1), ('delayed', 1), ('delivered', 1);

-- 065: every saved version of the text for each status; the newest one per status is sent.
CREATE TABLE message_template_versions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(trim(body)) > 0),
  saved_by BIGINT REFERENCES staff (id),
  saved_at TEXT NOT NULL
);

CREATE INDEX message_template_versions_status ON message_template_versions (status, id);

-- 070: every opt-out and opt-in (who, when, how), and the numbers opted out now.
CREATE TABLE opt_out_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- E.164, as orders.phone and messages.recipient store it.
  phone TEXT NOT NULL,
  opted_out INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
  -- 'keyword': the customer replied STOP/START…; 'staff': marked by hand (a customer who called).
  source TEXT NOT NULL CHECK (source IN ('keyword', 'staff')),
  -- The keyword as the customer wrote it, trimmed, for a keyword event.
  keyword TEXT,
  staff_id BIGINT REFERENCES staff (id),
  at TEXT NOT NULL,
  CHECK ((source = 'keyword') = (keyword IS NOT NULL)),
  CHECK (source = 'keyword' OR staff_id IS NOT NULL)
);

CREATE INDEX opt_out_events_phone ON opt_out_events (phone, id);

CREATE TABLE opted_out_phones (
  phone TEXT PRIMARY KEY,
  event_id BIGINT NOT NULL REFERENCES opt_out_events (id)
);

-- 051, 070: what every open board must learn, in order, whoever writes.
CREATE TABLE board_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('order-created', 'order-changed', 'message-changed')),
  order_id TEXT NOT NULL
);

CREATE FUNCTION board_events_order_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-created', NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_order_created AFTER INSERT ON orders
  FOR EACH ROW EXECUTE FUNCTION board_events_order_created();

CREATE FUNCTION board_events_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_order_changed AFTER UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION board_events_order_changed();

CREATE FUNCTION board_events_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', NEW.order_id);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_status_changed AFTER INSERT ON order_status_changes
  FOR EACH ROW EXECUTE FUNCTION board_events_status_changed();

CREATE FUNCTION board_events_message_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('message-changed', NEW.order_id);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_message_created AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION board_events_message_created();

-- Only what the board shows of a message: bookkeeping such as a lease renewal wakes no board.
CREATE FUNCTION board_events_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('message-changed', NEW.order_id);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_message_changed AFTER UPDATE ON messages
  FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.error_description IS DISTINCT FROM NEW.error_description)
  EXECUTE FUNCTION board_events_message_changed();

-- The board shows "opted out" on the customer's rows: open boards learn of a change at once.
CREATE FUNCTION board_events_opted_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = NEW.phone AND status <> 'delivered';
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_opted_out AFTER INSERT ON opted_out_phones
  FOR EACH ROW EXECUTE FUNCTION board_events_opted_out();

CREATE FUNCTION board_events_opted_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id)
    SELECT 'order-changed', id FROM orders WHERE phone = OLD.phone AND status <> 'delivered';
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_opted_in AFTER DELETE ON opted_out_phones
  FOR EACH ROW EXECUTE FUNCTION board_events_opted_in();
