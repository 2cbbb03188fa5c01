-- One row per compute host the agent has run on; starts let recovery tell a
-- previous run's leftovers from work in flight.
CREATE TABLE agent_node (
    host              varchar(255) PRIMARY KEY,
    first_started_at  timestamptz  NOT NULL,
    last_started_at   timestamptz  NOT NULL,
    starts            bigint       NOT NULL,
    agent_version     varchar(64)  NOT NULL
);
