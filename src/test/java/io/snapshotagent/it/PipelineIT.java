package io.snapshotagent.it;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.NovaCasts;
import io.snapshotagent.pipeline.FailOnRestart;
import io.snapshotagent.pipeline.SnapshotExecutor;
import io.snapshotagent.pipeline.StartupRecovery;
import io.snapshotagent.task.NewTask;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Casts through the whole pipeline for instances this host does not have (they end instance-not-found), on the real broker and database. */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class PipelineIT {

    @Inject
    TaskService tasks;

    @Inject
    SnapshotExecutor executor;

    @Inject
    StartupRecovery recovery;

    @ConfigProperty(name = "snapshot.max-concurrent-snapshots")
    int maxConcurrent;

    @ConfigProperty(name = "rabbitmq-host")
    String rabbitHost;

    @ConfigProperty(name = "rabbitmq-port")
    int rabbitPort;

    private static byte[] cast(String sample, UUID image, UUID instance) {
        return NovaCasts.cast(sample, image, instance);
    }

    private void publish(List<byte[]> bodies) throws Exception {
        NovaCasts.publishAll(rabbitHost, rabbitPort, "snapshot." + IngressIT.HOST, bodies);
    }

    private SnapshotTask taskFor(UUID image) {
        return QuarkusTransaction.requiringNew().call(() -> SnapshotTask.find("imageId", image).firstResult());
    }

    private List<String> path(UUID taskId) {
        return tasks.history(taskId).stream().map(h -> h.fromState + ">" + h.toState).toList();
    }

    @Test
    void aBackupRunsAsImageBackupAndFailsNotImplemented() throws Exception {
        UUID image = UUID.randomUUID();
        publish(List.of(cast("backup_instance.cast.json", image, UUID.randomUUID())));
        await("the backup task to finish", Duration.ofSeconds(30), () -> {
            SnapshotTask t = taskFor(image);
            return t != null && t.finished();
        });
        SnapshotTask task = taskFor(image);
        assertEquals(TaskOutcome.FAILED, task.outcome);
        assertEquals("instance-not-found", task.errorCode);
        assertEquals("daily", task.backupType);
        assertEquals(2, task.rotation);
        assertEquals(List.of("null>image_snapshot_pending", "image_snapshot_pending>image_backup", "image_backup>null"),
                path(task.id));
    }

    @Test
    void twoHundredCastsAtOnceMakeTwoHundredTasksWithinTheConcurrencyLimit() throws Exception {
        List<UUID> images = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        UUID[] instances = new UUID[20];
        for (int i = 0; i < instances.length; i++) {
            instances[i] = UUID.randomUUID();
        }
        for (int i = 0; i < 200; i++) {
            UUID image = UUID.randomUUID();
            images.add(image);
            // ten snapshots per instance: they must run one after another
            bodies.add(cast("snapshot_instance.cast.json", image, instances[i % instances.length]));
        }
        publish(bodies);
        await("200 finished tasks", Duration.ofSeconds(120), () -> QuarkusTransaction.requiringNew().call(() ->
                SnapshotTask.count("imageId in ?1 and outcome is not null", images)) == 200);
        assertEquals(200L, QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId in ?1", images)));
        assertTrue(executor.mostRunning() <= maxConcurrent,
                "ran " + executor.mostRunning() + " at once, limit " + maxConcurrent);
        assertEquals(200L, QuarkusTransaction.requiringNew().call(() ->
                SnapshotTask.count("imageId in ?1 and errorCode = 'instance-not-found'", images)));
    }

    @Test
    void recoveryQueuesWaitingTasksAndFailsInterruptedOnes() {
        UUID instance = UUID.randomUUID();
        NewTask waiting = new NewTask(UUID.randomUUID(), instance, "snapshot_instance", null, null, "6.0", null,
                "req-waiting", null, "u", "p", "{}");
        NewTask running = new NewTask(UUID.randomUUID(), UUID.randomUUID(), "snapshot_instance", null, null, "6.0", null,
                "req-running", null, "u", "p", "{}");
        UUID waitingId = tasks.accept(waiting).task().id;
        UUID runningId = tasks.accept(running).task().id;
        // as a crash would leave it: claimed, then the process died
        tasks.transition(runningId, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "snapshot started");

        recovery.recover();

        SnapshotTask interrupted = tasks.find(runningId);
        assertEquals(TaskOutcome.FAILED, interrupted.outcome);
        assertEquals(FailOnRestart.CODE, interrupted.errorCode);
        await("the waiting task to run", Duration.ofSeconds(30), () -> tasks.find(waitingId).finished());
        assertEquals("instance-not-found", tasks.find(waitingId).errorCode);
        assertEquals(List.of("null>image_snapshot_pending", "image_snapshot_pending>image_snapshot", "image_snapshot>null"),
                path(waitingId));
    }
}
