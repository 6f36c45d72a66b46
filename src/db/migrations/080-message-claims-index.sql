-- The dispatcher renews its leases every few seconds while sends are in flight, and hands its claims
-- back at shutdown, by owner: without an index each of those read every message ever sent. Only
-- claimed rows are indexed, a handful at any time.
CREATE INDEX messages_claimed ON messages (claimed_by) WHERE claimed_by IS NOT NULL;
