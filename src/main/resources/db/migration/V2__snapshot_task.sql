-- One task per requested Glance image; image_id is the idempotency key.
CREATE TABLE snapshot_task (
    id                 uuid PRIMARY KEY,
    image_id           uuid         NOT NULL UNIQUE,
    instance_uuid      uuid         NOT NULL,
    method             varchar(32)  NOT NULL,
    backup_type        varchar(255),
    rotation           integer,
    rpc_version        varchar(16)  NOT NULL,
    unique_id          varchar(64),
    request_id         varchar(255),
    global_request_id  varchar(255),
    user_id            varchar(255),
    project_id         varchar(255),
    request            jsonb        NOT NULL,
    task_state         varchar(32),
    outcome            varchar(16),
    error_code         varchar(64),
    error_message      text,
    created_at         timestamptz  NOT NULL,
    updated_at         timestamptz  NOT NULL,
    -- in flight: a task state and no outcome; finished: no task state (nova's None) and an outcome
    CONSTRAINT snapshot_task_state_or_outcome CHECK ((task_state IS NULL) <> (outcome IS NULL))
);
CREATE INDEX snapshot_task_instance ON snapshot_task (instance_uuid);
CREATE INDEX snapshot_task_in_flight ON snapshot_task (created_at) WHERE outcome IS NULL;

CREATE TABLE task_transition (
    id          bigserial PRIMARY KEY,
    task_id     uuid        NOT NULL REFERENCES snapshot_task (id) ON DELETE CASCADE,
    from_state  varchar(32),
    to_state    varchar(32),
    outcome     varchar(16),
    at          timestamptz NOT NULL,
    reason      text        NOT NULL
);
CREATE INDEX task_transition_task ON task_transition (task_id, id);
