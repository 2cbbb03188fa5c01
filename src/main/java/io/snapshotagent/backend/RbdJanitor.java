package io.snapshotagent.backend;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.snapshotagent.ceph.CephException;
import io.snapshotagent.ceph.DirectSnapshotLeftovers;
import io.snapshotagent.ceph.DirectSnapshotRequest;
import io.snapshotagent.ceph.RbdDirectSnapshot;
import io.snapshotagent.ceph.SourceSnap;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskService;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Finishes RBD cleanups the cluster refused at the time (an OSD down mid-flatten fails the task,
 * and then the undo fails too). Such requests are retried every {@link #INTERVAL} until they
 * succeed; at start-up, temporary snapshots of failed tasks found on the disks' pool are handed
 * here as well, so neither an outage nor a restart leaves snapshots or clones behind.
 */
@ApplicationScoped
public class RbdJanitor {

    static final Duration INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(RbdJanitor.class);

    private final RbdDirectSnapshot direct;
    private final TaskService tasks;
    private final String diskPool;
    private final String imagesPool;
    private final Map<DirectSnapshotRequest, String> pending = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    RbdJanitor(RbdDirectSnapshot direct, TaskService tasks, AgentConfig config) {
        this.direct = direct;
        this.tasks = tasks;
        this.diskPool = config.rbd().pool();
        this.imagesPool = config.rbd().imagesPool();
    }

    /** Remember a cleanup that failed; it is retried until it succeeds. */
    public void later(DirectSnapshotRequest request, String why) {
        if (pending.putIfAbsent(request, why) == null) {
            LOG.warnf("task %s: RBD cleanup deferred (%s); retried every %d s", request.taskId(), why, INTERVAL.toSeconds());
        }
    }

    public int pending() {
        return pending.size();
    }

    void onStart(@Observes @Priority(200) StartupEvent event) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rbd-janitor");
            t.setDaemon(true);
            return t;
        });
        timer.execute(this::sweepStartup);
        timer.scheduleWithFixedDelay(this::retry, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Temporary snapshots whose task failed, left by a crash or an earlier outage. */
    void sweepStartup() {
        try {
            for (SourceSnap snap : direct.sourceSnaps(diskPool)) {
                SnapshotTask task = tasks.find(snap.taskId());
                // running tasks clean up after themselves; recovery handles the interrupted ones
                if (task != null && task.finished() && task.outcome != TaskOutcome.SUCCEEDED) {
                    later(new DirectSnapshotRequest(task.id, snap.pool(), snap.image(), imagesPool, task.imageId),
                            "left by failed task " + task.id);
                }
            }
        } catch (CephException | RuntimeException e) {
            LOG.infof("start-up sweep of %s skipped: %s", diskPool, e.getMessage());
        }
        retry();
    }

    void retry() {
        for (DirectSnapshotRequest request : pending.keySet()) {
            try {
                DirectSnapshotLeftovers removed = direct.cleanup(request);
                pending.remove(request);
                LOG.infof("task %s: deferred RBD cleanup done, removed %s", request.taskId(), removed);
            } catch (CephException | RuntimeException e) {
                LOG.debugf("task %s: RBD cleanup still failing: %s", request.taskId(), e.getMessage());
            }
        }
    }
}
