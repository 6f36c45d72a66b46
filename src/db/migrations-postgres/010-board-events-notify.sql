-- PostgreSQL only (schema-parity leaves this trigger out by name): every board_events row wakes the
-- live boards of every instance on this schema. The notification goes out at commit, so a listener
-- that reads board_events on it finds the row. The payload is the id alone: listeners read the
-- table anyway (payloads may be dropped or coalesced, and must stay under 8000 bytes). The channel
-- names the schema, so instances on other schemas (one per test) are not woken.
CREATE FUNCTION board_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('board_events:' || current_schema(), NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER board_events_notify AFTER INSERT ON board_events
  FOR EACH ROW EXECUTE FUNCTION board_events_notify();
