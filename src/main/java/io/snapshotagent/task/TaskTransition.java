package io.snapshotagent.task;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.UUID;

/** One row of a task's history: from, to, when, why. States are nova's names; null is nova's None. */
@Entity
@Table(name = "task_transition")
public class TaskTransition extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "task_id", nullable = false)
    public UUID taskId;

    @Column(name = "from_state")
    public String fromState;

    @Column(name = "to_state")
    public String toState;

    /** Set on the transition that finishes the task. */
    public String outcome;

    @Column(nullable = false)
    public OffsetDateTime at;

    @Column(nullable = false)
    public String reason;
}
