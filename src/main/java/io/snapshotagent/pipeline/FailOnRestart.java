package io.snapshotagent.pipeline;

import io.snapshotagent.backend.CrashCleanup;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import io.snapshotagent.task.TaskStateConflict;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * A task interrupted by an agent restart is not run again (the guest or the image may have moved
 * on): what it left is cleaned up ({@link CrashCleanup}) and it ends failed with
 * {@code agent-restarted} — unless its image turned out active, with the upload in progress, in
 * which case it ends succeeded.
 */
@ApplicationScoped
public class FailOnRestart implements RecoveryHook {

    public static final String CODE = "agent-restarted";
    private static final Logger LOG = Logger.getLogger(FailOnRestart.class);

    private final TaskService tasks;
    private final CrashCleanup cleanup;

    FailOnRestart(TaskService tasks, CrashCleanup cleanup) {
        this.tasks = tasks;
        this.cleanup = cleanup;
    }

    @Override
    public void recover(SnapshotTask task) {
        CrashCleanup.Result result;
        try {
            result = cleanup.clean(task.id, task.instanceUuid, task.imageId);
        } catch (RuntimeException e) {
            result = new CrashCleanup.Result(CrashCleanup.Outcome.INCOMPLETE, String.valueOf(e.getMessage()));
        }
        try {
            if (result.outcome() == CrashCleanup.Outcome.COMPLETED && task.taskState == TaskState.IMAGE_UPLOADING) {
                tasks.succeed(task.id, "finished before the agent restarted: " + result.detail());
                LOG.infof("task %s: its image was already active after the restart: succeeded", task.id);
                return;
            }
            String message = "the agent stopped while the task was in " + task.taskState.novaName()
                    + (result.outcome() == CrashCleanup.Outcome.INCOMPLETE ? "; cleanup incomplete: " + result.detail()
                    : "; cleaned up");
            tasks.fail(task.id, task.taskState, CODE, message);
            LOG.warnf("task %s: %s", task.id, message);
        } catch (TaskStateConflict e) {
            LOG.debugf("task %s moved on during recovery: %s", task.id, e.getMessage());
        }
    }
}
