-- The API rate limit's counts, one row per key and fixed window, in the database so that every
-- instance on it counts together: two instances do not let a key through twice as often.
CREATE TABLE rate_windows (
  bucket TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
