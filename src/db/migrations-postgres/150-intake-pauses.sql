-- Online orders paused for a while by staff (SQLite migration 150).
CREATE TABLE intake_pauses (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at TEXT NOT NULL,
  until TEXT NOT NULL,
  started_by BIGINT REFERENCES staff (id),
  ended_at TEXT,
  ended_by BIGINT REFERENCES staff (id)
);

CREATE FUNCTION board_events_intake_pause() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO board_events (kind, order_id) VALUES ('order-changed', '');
  RETURN NULL;
END $$;

CREATE TRIGGER board_events_intake_paused AFTER INSERT ON intake_pauses
  FOR EACH ROW EXECUTE FUNCTION board_events_intake_pause();
CREATE TRIGGER board_events_intake_resumed AFTER UPDATE ON intake_pauses
  FOR EACH ROW WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at) EXECUTE FUNCTION board_events_intake_pause();
