-- Short answers staff send to a customer's text with one press on the order's page ("Thank you,
-- noted!"), in the order shown; an admin edits the list on the Templates page. These four are
-- where a restaurant starts: they are meant to be rewritten in its own words and language.
CREATE TABLE quick_answers (
  position INTEGER PRIMARY KEY,
  body TEXT NOT NULL
) STRICT;

INSERT INTO quick_answers (position, body) VALUES
  (1, 'Thank you, noted!'),
  (2, 'Your order is on its way.'),
  (3, 'Sorry for the wait: your order is coming as soon as we can.'),
  (4, 'Please give us a call about this, we are happy to help.');
