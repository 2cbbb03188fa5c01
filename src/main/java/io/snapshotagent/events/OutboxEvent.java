package io.snapshotagent.events;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.UUID;

/** One notification waiting for (or done with) publication; {@code id} is its {@code message_id}. */
@Entity
@Table(name = "outbox_event")
public class OutboxEvent extends PanacheEntityBase {

    @Id
    public UUID id;

    /** Publication order; assigned by the database. */
    @Column(insertable = false, updatable = false)
    public Long seq;

    /** Null for events about casts that never became a task (dead-lettered). */
    @Column(name = "task_id")
    public UUID taskId;

    /** The agent that wrote it and is the only one to publish it. */
    public String host;

    @Column(name = "event_type", nullable = false)
    public String eventType;

    @Column(name = "routing_key", nullable = false)
    public String routingKey;

    @Column(nullable = false)
    public byte[] body;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "published_at")
    public OffsetDateTime publishedAt;
}
