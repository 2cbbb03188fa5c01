package io.snapshotagent.pipeline;

import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskStateConflict;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** Until backends can clean up after themselves: an interrupted task ends failed, {@code agent-restarted}. */
@ApplicationScoped
public class FailOnRestart implements RecoveryHook {

    public static final String CODE = "agent-restarted";
    private static final Logger LOG = Logger.getLogger(FailOnRestart.class);

    private final TaskService tasks;

    FailOnRestart(TaskService tasks) {
        this.tasks = tasks;
    }

    @Override
    public void recover(SnapshotTask task) {
        try {
            tasks.fail(task.id, task.taskState, CODE,
                    "the agent stopped while the task was in " + task.taskState.novaName());
            LOG.warnf("task %s was interrupted in %s by an agent restart: failed", task.id, task.taskState.novaName());
        } catch (TaskStateConflict e) {
            LOG.debugf("task %s moved on during recovery: %s", task.id, e.getMessage());
        }
    }
}
