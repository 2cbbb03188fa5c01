package io.snapshotagent.it;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.SnapshotRun;
import io.snapshotagent.it.support.StackSettings;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OSD stops while the clone is being flattened: the task fails in bounded time, nothing stays. */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class CephOutageIT {

    @Inject
    StackSettings stack;

    @Inject
    GlanceImages glance;

    @Test
    void anOsdStoppedMidFlattenFailsTheTaskAndTheLeftoversGoOnceCephIsBack() throws Exception {
        try (StackGuest guest = StackGuest.create("it-outage", "rbd", 512)) {
            UUID image = glance.create("it-outage-" + guest.name(), Map.of()).id();
            Instant stopped;
            try (SnapshotRun run = stack.run(guest.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
                await("the clone to exist (the flatten follows)", Duration.ofSeconds(60),
                        () -> SnapshotRun.rbd(stack.cephConf(), "ls", "images").contains(image.toString()));
                LocalStack.run("stop", "ceph-osd");
                stopped = Instant.now();
                try {
                    await("the task to fail while Ceph is down", Duration.ofSeconds(120), () -> QuarkusTransaction
                            .requiringNew().call(() -> {
                                SnapshotTask t = SnapshotTask.find("imageId", image).firstResult();
                                return t != null && t.finished();
                            }));
                } finally {
                    LocalStack.run("up");
                }
            }
            SnapshotTask task = SnapshotRun.task(image);
            Duration toFail = Duration.between(stopped, task.updatedAt.toInstant());
            System.out.printf("CephOutageIT: failed %s after the OSD stopped: %s: %s%n", toFail, task.errorCode, task.errorMessage);
            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertTrue(task.errorCode.startsWith("ceph-"), task.errorCode + ": " + task.errorMessage);
            assertTrue(toFail.compareTo(Duration.ofSeconds(90)) < 0, "took " + toFail);
            assertThrows(ImageNotFound.class, () -> glance.get(image));
            assertEquals("running", SnapshotRun.domstate(guest.uuid()));

            await("no snapshot or clone left once Ceph is back", Duration.ofSeconds(90), () -> {
                try {
                    return SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + guest.uuid() + "_disk").isBlank()
                            && !SnapshotRun.rbd(stack.cephConf(), "ls", "images").contains(image.toString());
                } catch (RuntimeException e) {
                    return false;
                }
            });
            assertFalse(SnapshotRun.rbd(stack.cephConf(), "ls", "images").contains(image.toString()));
        }
    }
}
