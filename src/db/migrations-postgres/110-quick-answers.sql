-- Short answers staff send with one press on the order's page (SQLite migration 130).
CREATE TABLE quick_answers (
  position INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);

INSERT INTO quick_answers (position, body) VALUES
  (1, 'Thank you, noted!'),
  (2, 'Your order is on its way.'),
  (3, 'Sorry for the wait: your order is coming as soon as we can.'),
  (4, 'Please give us a call about this, we are happy to help.');
