-- Events written in the transaction of the task change that causes them and
-- published afterwards, in seq order, by events.OutboxRelay.
CREATE TABLE outbox_event (
    id            uuid PRIMARY KEY,
    seq           bigserial    NOT NULL UNIQUE,
    task_id       uuid         NOT NULL,
    event_type    varchar(64)  NOT NULL,
    routing_key   varchar(255) NOT NULL,
    body          bytea        NOT NULL,
    created_at    timestamptz  NOT NULL,
    published_at  timestamptz
);
CREATE INDEX outbox_event_unpublished ON outbox_event (seq) WHERE published_at IS NULL;
