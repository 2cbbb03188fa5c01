package io.snapshotagent.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotagent.backend.BackendException;
import io.snapshotagent.backend.InstanceFacts;
import io.snapshotagent.backend.SnapshotBackend;
import io.snapshotagent.backend.SnapshotJob;
import io.snapshotagent.backend.SnapshotProgress;
import io.snapshotagent.health.DependencyProbe;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import io.snapshotagent.task.TaskStateConflict;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs one task as nova's {@code ComputeManager._snapshot_instance} does: claim it
 * ({@code image_snapshot_pending → image_snapshot}, or {@code image_backup}), let the backend
 * work and report progress, then finish it. Plain blocking code, run by {@link SnapshotExecutor}.
 */
@ApplicationScoped
public class SnapshotPipeline {

    static final String INTERNAL_ERROR = "internal-error";
    private static final Logger LOG = Logger.getLogger(SnapshotPipeline.class);

    private final TaskService tasks;
    private final SnapshotBackend backend;
    private final ObjectMapper json;

    SnapshotPipeline(TaskService tasks, SnapshotBackend backend, ObjectMapper json) {
        this.tasks = tasks;
        this.backend = backend;
        this.json = json;
    }

    public void run(UUID taskId) {
        SnapshotTask task = tasks.find(taskId);
        if (task == null || task.finished() || task.taskState != TaskState.IMAGE_SNAPSHOT_PENDING) {
            LOG.debugf("task %s is not waiting to run, skipped", taskId);
            return;
        }
        boolean backup = "backup_instance".equals(task.method);
        TaskState claimed = backup ? TaskState.IMAGE_BACKUP : TaskState.IMAGE_SNAPSHOT;
        try {
            tasks.transition(taskId, TaskState.IMAGE_SNAPSHOT_PENDING, claimed, backup ? "backup started" : "snapshot started");
        } catch (TaskStateConflict e) {
            // another run (recovery racing the listener) has it: exactly one may proceed
            LOG.debugf("task %s was claimed elsewhere: %s", taskId, e.getMessage());
            return;
        }
        Progress progress = new Progress(taskId, claimed);
        SnapshotJob job = new SnapshotJob(taskId, task.imageId, InstanceFacts.from(task.instanceUuid, instance(task)), backup,
                Optional.ofNullable(task.backupType), Optional.ofNullable(task.rotation));
        try {
            backend.snapshot(job, progress);
            tasks.succeed(taskId, "image active in Glance");
            LOG.infof("task %s: snapshot of instance %s into image %s succeeded", taskId, task.instanceUuid, task.imageId);
        } catch (BackendException e) {
            fail(taskId, progress.current, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "task %s failed unexpectedly", taskId);
            fail(taskId, progress.current, INTERNAL_ERROR, DependencyProbe.describe(e));
        }
    }

    private JsonNode instance(SnapshotTask task) {
        try {
            return json.readTree(task.request).path("instance_primitive");
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private void fail(UUID taskId, TaskState current, String code, String message) {
        try {
            tasks.fail(taskId, current, code, message);
            LOG.warnf("task %s failed: %s: %s", taskId, code, message);
        } catch (TaskStateConflict e) {
            LOG.warnf("task %s: could not record failure %s: %s", taskId, code, e.getMessage());
        }
    }

    /** Records the backend's progress reports; keeps the state the next compare-and-set expects. */
    private final class Progress implements SnapshotProgress {
        private final UUID taskId;
        private TaskState current;
        private String fallbackReason;

        Progress(UUID taskId, TaskState current) {
            this.taskId = taskId;
            this.current = current;
        }

        @Override
        public void pendingUpload() {
            if (current == TaskState.IMAGE_PENDING_UPLOAD) {
                return;
            }
            String reason = fallbackReason == null ? "preparing the snapshot"
                    : "direct snapshot impossible, standard snapshot: " + fallbackReason;
            fallbackReason = null;
            move(TaskState.IMAGE_PENDING_UPLOAD, reason);
        }

        @Override
        public void uploading() {
            move(TaskState.IMAGE_UPLOADING, "uploading to Glance");
        }

        @Override
        public void fellBack(String why) {
            fallbackReason = why;
        }

        private void move(TaskState next, String reason) {
            tasks.transition(taskId, current, next, reason);
            current = next;
        }
    }
}
