package io.snapshotagent.pipeline;

import io.quarkus.runtime.StartupEvent;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * At start-up, nothing left by a previous run stays stuck: tasks still waiting
 * ({@code image_snapshot_pending}) are queued again; tasks that were running go to the
 * {@link RecoveryHook}. Runs after the schema migration (priority 100).
 */
@ApplicationScoped
public class StartupRecovery {

    private static final Logger LOG = Logger.getLogger(StartupRecovery.class);

    private final TaskService tasks;
    private final SnapshotExecutor executor;
    private final RecoveryHook hook;

    StartupRecovery(TaskService tasks, SnapshotExecutor executor, RecoveryHook hook) {
        this.tasks = tasks;
        this.executor = executor;
        this.hook = hook;
    }

    void onStart(@Observes @Priority(100) StartupEvent event) {
        recover();
    }

    /** Also callable by tests; safe to run while the listener is taking new casts (claims are compare-and-set). */
    public void recover() {
        List<SnapshotTask> left = tasks.inFlight();
        int requeued = 0;
        int interrupted = 0;
        for (SnapshotTask task : left) {
            if (task.taskState == TaskState.IMAGE_SNAPSHOT_PENDING) {
                executor.submit(task.id, task.instanceUuid);
                requeued++;
            } else {
                hook.recover(task);
                interrupted++;
            }
        }
        if (!left.isEmpty()) {
            LOG.infof("start-up recovery: %d waiting tasks queued again, %d interrupted tasks handed to recovery",
                    requeued, interrupted);
        }
    }
}
