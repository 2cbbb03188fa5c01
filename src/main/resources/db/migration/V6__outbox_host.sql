-- Each agent publishes only the events it wrote: two relays on one database
-- would otherwise publish every event twice.
ALTER TABLE outbox_event ADD COLUMN host varchar(255);
DROP INDEX outbox_event_unpublished;
CREATE INDEX outbox_event_unpublished ON outbox_event (host, seq) WHERE published_at IS NULL;
