package io.snapshotagent.task;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/**
 * One row per compute host the agent has run on. {@code starts} and {@code lastStartedAt} let
 * crash recovery tell "left by a previous run" from "in flight now".
 */
@Entity
@Table(name = "agent_node")
public class AgentNode extends PanacheEntityBase {

    @Id
    public String host;

    @Column(name = "first_started_at", nullable = false)
    public OffsetDateTime firstStartedAt;

    @Column(name = "last_started_at", nullable = false)
    public OffsetDateTime lastStartedAt;

    @Column(nullable = false)
    public long starts;

    @Column(name = "agent_version", nullable = false)
    public String agentVersion;
}
