package io.snapshotagent.pipeline;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * nova's LONG_TASK pool behind {@code max_concurrent_snapshots}: at most that many snapshots run
 * at once on this node, on threads of their own (never the event loop or a messaging worker).
 * Tasks of one instance run one after another, in arrival order: a second snapshot of the same
 * instance waits for the first instead of failing.
 */
@ApplicationScoped
public class SnapshotExecutor {

    private static final Logger LOG = Logger.getLogger(SnapshotExecutor.class);

    private final SnapshotPipeline pipeline;
    private final ExecutorService pool;
    private final Map<UUID, Deque<UUID>> byInstance = new HashMap<>();
    private final Set<UUID> queued = new HashSet<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostRunning = new AtomicInteger();

    SnapshotExecutor(SnapshotPipeline pipeline, AgentConfig config, MeterRegistry registry) {
        this.pipeline = pipeline;
        int threads = config.maxConcurrentSnapshots();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "snapshot-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("snapshot_agent_snapshots_running", running, AtomicInteger::get)
                .description("snapshots running now").register(registry);
        Gauge.builder("snapshot_agent_snapshots_running_max", mostRunning, AtomicInteger::get)
                .description("most snapshots seen running at once since start").register(registry);
        Gauge.builder("snapshot_agent_snapshots_queued", this, SnapshotExecutor::queuedCount)
                .description("tasks accepted and not finished by this process").register(registry);
    }

    /** Queues a task; a task already queued or running here is not queued twice. */
    public synchronized void submit(UUID taskId, UUID instanceUuid) {
        if (!queued.add(taskId)) {
            return;
        }
        Deque<UUID> line = byInstance.computeIfAbsent(instanceUuid, k -> new ArrayDeque<>());
        line.add(taskId);
        if (line.size() == 1) {
            dispatch(instanceUuid, taskId);
        }
    }

    private void dispatch(UUID instanceUuid, UUID taskId) {
        pool.execute(() -> {
            mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                pipeline.run(taskId);
            } catch (RuntimeException e) {
                LOG.errorf(e, "task %s: the pipeline failed", taskId);
            } finally {
                running.decrementAndGet();
                finished(instanceUuid, taskId);
            }
        });
    }

    private synchronized void finished(UUID instanceUuid, UUID taskId) {
        queued.remove(taskId);
        Deque<UUID> line = byInstance.get(instanceUuid);
        line.poll();
        if (line.isEmpty()) {
            byInstance.remove(instanceUuid);
        } else {
            dispatch(instanceUuid, line.peek());
        }
    }

    public synchronized int queuedCount() {
        return queued.size();
    }

    public int mostRunning() {
        return mostRunning.get();
    }

    @PreDestroy
    void stop() throws InterruptedException {
        pool.shutdownNow();
        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
            LOG.warn("snapshots still running at shutdown; start-up recovery will handle their tasks");
        }
    }
}
