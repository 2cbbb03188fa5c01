package io.snapshotagent.task;

import io.snapshotagent.config.AgentHost;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

/**
 * The only writer of task state. Every change is a compare-and-set on the state the caller
 * expects (nova's {@code expected_task_state}) and leaves a history row in the same transaction;
 * a lost race changes nothing and raises {@link TaskStateConflict}.
 */
@ApplicationScoped
public class TaskService {

    private final EntityManager em;
    private final TaskEvents events;
    private final String host;

    TaskService(EntityManager em, TaskEvents events, AgentHost host) {
        this.em = em;
        this.events = events;
        this.host = host.name();
    }

    /** Result of {@link #accept}: the task for the image, and whether this call created it. */
    public record Accepted(SnapshotTask task, boolean created) {
    }

    /**
     * Records a requested image as a task in {@code image_snapshot_pending} (where nova-api left
     * the instance before casting). The same image again returns the existing task untouched.
     */
    @Transactional
    public Accepted accept(NewTask t) {
        OffsetDateTime now = now();
        UUID id = UUID.randomUUID();
        // ON CONFLICT instead of find-then-insert: two deliveries racing on two consumers still
        // produce one row, and neither transaction is poisoned by a unique violation.
        int inserted = em.createNativeQuery("""
                INSERT INTO snapshot_task (id, image_id, instance_uuid, method, backup_type, rotation, rpc_version,
                    unique_id, request_id, global_request_id, user_id, project_id, request, task_state,
                    created_at, updated_at, host)
                VALUES (:id, :imageId, :instanceUuid, :method, :backupType, :rotation, :rpcVersion,
                    :uniqueId, :requestId, :globalRequestId, :userId, :projectId, CAST(:request AS jsonb), :state,
                    :now, :now, :host)
                ON CONFLICT (image_id) DO NOTHING""")
                .setParameter("id", id)
                .setParameter("imageId", t.imageId())
                .setParameter("instanceUuid", t.instanceUuid())
                .setParameter("method", t.method())
                .setParameter("backupType", t.backupType())
                .setParameter("rotation", t.rotation())
                .setParameter("rpcVersion", t.rpcVersion())
                .setParameter("uniqueId", t.uniqueId())
                .setParameter("requestId", t.requestId())
                .setParameter("globalRequestId", t.globalRequestId())
                .setParameter("userId", t.userId())
                .setParameter("projectId", t.projectId())
                .setParameter("request", t.requestJson())
                .setParameter("state", TaskState.IMAGE_SNAPSHOT_PENDING.name())
                .setParameter("now", now)
                .setParameter("host", host)
                .executeUpdate();
        SnapshotTask task = SnapshotTask.find("imageId", t.imageId()).singleResult();
        if (inserted == 1) {
            history(task.id, null, TaskState.IMAGE_SNAPSHOT_PENDING, null, now,
                    t.method() + " received" + (t.requestId() == null ? "" : " (" + t.requestId() + ")"));
        }
        return new Accepted(task, inserted == 1);
    }

    /** Moves a task from {@code expected} to {@code next}, as nova's {@code instance.save(expected_task_state=...)}. */
    @Transactional
    public SnapshotTask transition(UUID taskId, TaskState expected, TaskState next, String reason) {
        if (!expected.next().contains(next)) {
            throw new IllegalArgumentException("nova never moves a task from " + expected.novaName() + " to " + next.novaName());
        }
        OffsetDateTime now = now();
        int updated = em.createQuery("""
                update SnapshotTask t set t.taskState = :next, t.updatedAt = :now
                where t.id = :id and t.taskState = :expected and t.outcome is null""")
                .setParameter("next", next).setParameter("now", now)
                .setParameter("id", taskId).setParameter("expected", expected)
                .executeUpdate();
        if (updated == 0) {
            throw conflict(taskId, expected);
        }
        history(taskId, expected, next, null, now, reason);
        SnapshotTask task = reload(taskId);
        events.changed(task, expected, next, null);
        return task;
    }

    /** Ends a task whose upload ran ({@code image_uploading}) as succeeded, task state None. */
    @Transactional
    public SnapshotTask succeed(UUID taskId, String reason) {
        return finish(taskId, TaskState.IMAGE_UPLOADING, TaskOutcome.SUCCEEDED, null, null, reason);
    }

    /** Ends a task in {@code expected} as failed with a stable error code and a message for operators. */
    @Transactional
    public SnapshotTask fail(UUID taskId, TaskState expected, String errorCode, String message) {
        return finish(taskId, expected, TaskOutcome.FAILED, errorCode, message, errorCode + ": " + message);
    }

    @Transactional
    public SnapshotTask cancel(UUID taskId, TaskState expected, String reason) {
        return finish(taskId, expected, TaskOutcome.CANCELLED, null, null, reason);
    }

    private SnapshotTask finish(UUID taskId, TaskState expected, TaskOutcome outcome, String code, String message,
            String reason) {
        OffsetDateTime now = now();
        int updated = em.createQuery("""
                update SnapshotTask t set t.taskState = null, t.outcome = :outcome, t.errorCode = :code,
                    t.errorMessage = :message, t.updatedAt = :now
                where t.id = :id and t.taskState = :expected and t.outcome is null""")
                .setParameter("outcome", outcome).setParameter("code", code).setParameter("message", message)
                .setParameter("now", now).setParameter("id", taskId).setParameter("expected", expected)
                .executeUpdate();
        if (updated == 0) {
            throw conflict(taskId, expected);
        }
        history(taskId, expected, null, outcome, now, reason);
        SnapshotTask task = reload(taskId);
        events.changed(task, expected, null, outcome);
        return task;
    }

    /** One page of tasks, newest first; null filters match everything. */
    @Transactional
    public TaskPage search(UUID instanceUuid, UUID imageId, TaskState state, TaskOutcome outcome, int page, int size) {
        StringBuilder where = new StringBuilder("1 = 1");
        java.util.Map<String, Object> params = new java.util.HashMap<>();
        if (instanceUuid != null) {
            where.append(" and instanceUuid = :instance");
            params.put("instance", instanceUuid);
        }
        if (imageId != null) {
            where.append(" and imageId = :image");
            params.put("image", imageId);
        }
        if (state != null) {
            where.append(" and taskState = :state");
            params.put("state", state);
        }
        if (outcome != null) {
            where.append(" and outcome = :outcome");
            params.put("outcome", outcome);
        }
        var query = SnapshotTask.<SnapshotTask>find(where + " order by createdAt desc, id", params)
                .page(io.quarkus.panache.common.Page.of(page, size));
        return new TaskPage(query.list(), query.count());
    }

    public record TaskPage(List<SnapshotTask> tasks, long total) {
    }

    // reads are transactional too: callers run on the pipeline's own threads, outside any request
    @Transactional
    public SnapshotTask find(UUID taskId) {
        return SnapshotTask.findById(taskId);
    }

    /** This node's tasks left in flight, oldest first (crash recovery looks at these at start-up). */
    @Transactional
    public List<SnapshotTask> inFlight() {
        return SnapshotTask.list("outcome is null and (host = ?1 or host is null) order by createdAt", host);
    }

    @Transactional
    public List<TaskTransition> history(UUID taskId) {
        return TaskTransition.list("taskId = ?1 order by id", taskId);
    }

    private TaskStateConflict conflict(UUID taskId, TaskState expected) {
        SnapshotTask current = reload(taskId);
        String actual = current == null ? "unknown"
                : current.finished() ? "finished (" + current.outcome + ")" : current.taskState.novaName();
        return new TaskStateConflict(taskId, expected.novaName(), actual);
    }

    private SnapshotTask reload(UUID taskId) {
        SnapshotTask task = em.find(SnapshotTask.class, taskId);
        if (task != null) {
            // the bulk update above bypassed the persistence context
            em.refresh(task);
        }
        return task;
    }

    private void history(UUID taskId, TaskState from, TaskState to, TaskOutcome outcome, OffsetDateTime at, String reason) {
        TaskTransition row = new TaskTransition();
        row.taskId = taskId;
        row.fromState = from == null ? null : from.novaName();
        row.toState = to == null ? null : to.novaName();
        row.outcome = outcome == null ? null : outcome.name();
        row.at = at;
        row.reason = reason;
        row.persist();
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
