package io.snapshotagent.api;

import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskTransition;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** A task as the REST API shows it; states in nova's spelling, {@code null} for nova's None. */
public record TaskView(UUID id, UUID imageId, UUID instanceUuid, String method, String taskState, String outcome,
                       String errorCode, String errorMessage, String backupType, Integer rotation, String requestId,
                       OffsetDateTime createdAt, OffsetDateTime updatedAt, List<Transition> history) {

    public record Transition(String from, String to, String outcome, OffsetDateTime at, String reason) {
    }

    static TaskView of(SnapshotTask t, List<TaskTransition> history) {
        return new TaskView(t.id, t.imageId, t.instanceUuid, t.method,
                t.taskState == null ? null : t.taskState.novaName(), t.outcome == null ? null : t.outcome.name().toLowerCase(),
                t.errorCode, t.errorMessage, t.backupType, t.rotation, t.requestId, t.createdAt, t.updatedAt,
                history == null ? null
                        : history.stream().map(h -> new Transition(h.fromState, h.toState,
                                h.outcome == null ? null : h.outcome.toLowerCase(), h.at, h.reason)).toList());
    }
}
