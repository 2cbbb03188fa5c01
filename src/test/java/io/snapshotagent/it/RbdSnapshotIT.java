package io.snapshotagent.it;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.ceph.RbdLocation;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.SnapshotRun;
import io.snapshotagent.it.support.StackSettings;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import io.snapshotagent.task.TaskTransition;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct RBD path, end to end: a real guest, a real cast, Ceph and Glance for real. */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbdSnapshotIT {

    static final List<String> DIRECT_EVENTS = List.of(
            "instance.update image_snapshot_pending->image_snapshot", "instance.snapshot.start",
            "instance.update image_snapshot->image_pending_upload", "instance.update image_pending_upload->image_uploading",
            "instance.update image_uploading->None", "instance.snapshot.end");

    @Inject
    StackSettings stack;

    @Inject
    GlanceImages glance;
    @Inject
    TaskService tasks;

    private StackGuest guest;

    @BeforeAll
    void guest() {
        guest = StackGuest.create("it-rbd", "rbd", 48);
    }

    @AfterAll
    void cleanup() {
        stack.deleteImages();
        if (guest != null) {
            guest.close();
        }
    }

    private UUID newImage() throws Exception {
        return stack.newImage("it-snapshot-of-" + guest.name());
    }

    private void assertNoLeftovers(UUID image, boolean imageKept) throws Exception {
        String diskSnaps = SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + guest.uuid() + "_disk");
        assertTrue(diskSnaps.isBlank(), "snapshots left on the disk: " + diskSnaps);
        String imagesPool = SnapshotRun.rbd(stack.cephConf(), "ls", "images");
        assertEquals(imageKept, imagesPool.contains(image.toString()), "images pool: " + imagesPool);
        assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
    }

    @Test
    void aRunningGuestIsSnapshottedDirectlyIntoTheImagesPool() throws Exception {
        assertEquals("running", SnapshotRun.domstate(guest.uuid()));
        UUID image = newImage();
        try (SnapshotRun run = stack.run(guest.uuid())) {
            run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
            SnapshotTask task = SnapshotRun.finished(image);
            assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);

            GlanceImage result = glance.get(image);
            assertEquals(GlanceImage.ACTIVE, result.status());
            assertEquals("raw", result.diskFormat());
            assertEquals("snapshot", result.properties().get("image_type"));
            assertEquals("snapshot", result.properties().get("image_location"));
            assertEquals(guest.uuid().toString(), result.properties().get("instance_uuid"));
            assertEquals(1, result.locations().size(), result.locations().toString());
            RbdLocation location = RbdLocation.parse(result.locations().get(0));
            assertEquals("images", location.pool());
            assertEquals(image.toString(), location.image());
            assertEquals("snap", location.snap());
            assertEquals(guest.sha256(), SnapshotRun.rbdSha256(stack.cephConf(), "images/" + image + "@snap"),
                    "the clone's content is the disk's");
            assertEquals("running", SnapshotRun.domstate(guest.uuid()), "a direct snapshot never stops the guest");

            await("all events", Duration.ofSeconds(20), () -> {
                try {
                    return run.events().size() >= DIRECT_EVENTS.size();
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(DIRECT_EVENTS, run.eventSummary());
        }
        assertNoLeftovers(image, true);
    }

    @Test
    void aStoppedGuestIsSnapshottedDirectlyToo() throws Exception {
        SnapshotRun.sh("virsh", "-c", "qemu:///system", "destroy", guest.uuid().toString());
        try {
            UUID image = newImage();
            try (SnapshotRun run = stack.run(guest.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
                SnapshotTask task = SnapshotRun.finished(image);
                assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);
            }
            assertEquals(guest.sha256(), SnapshotRun.rbdSha256(stack.cephConf(), "images/" + image + "@snap"));
            assertEquals("shut off", SnapshotRun.domstate(guest.uuid()), "the guest stays as it was");
            assertNoLeftovers(image, true);
        } finally {
            SnapshotRun.sh("virsh", "-c", "qemu:///system", "start", guest.uuid().toString());
        }
    }

    @Test
    void anImageDeletedDuringTheSnapshotEndsItAndLeavesNothing() throws Exception {
        UUID image = newImage();
        try (SnapshotRun run = stack.run(guest.uuid())) {
            run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
            // the clone and flatten run while the task is in image_uploading
            await("the task uploading", Duration.ofSeconds(60), () -> QuarkusTransaction.requiringNew().call(() -> {
                SnapshotTask t = SnapshotTask.find("imageId", image).firstResult();
                return t != null && (t.taskState == TaskState.IMAGE_UPLOADING || t.finished());
            }));
            glance.delete(image);
            SnapshotTask task = SnapshotRun.finished(image);
            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertEquals("image-not-found", task.errorCode, task.errorMessage);
        }
        assertThrows(ImageNotFound.class, () -> glance.get(image));
        assertNoLeftovers(image, false);
    }

    @Test
    void anUnknownInstanceFailsAndItsImageIsDeleted() throws Exception {
        UUID image = newImage();
        StackGuest ghost = new StackGuest("ghost", UUID.randomUUID(), "rbd", 1, guest.imageRef(), "");
        try (SnapshotRun run = stack.run(ghost.uuid())) {
            run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", ghost, image, IngressIT.HOST));
            SnapshotTask task = SnapshotRun.finished(image);
            assertEquals("instance-not-found", task.errorCode, task.errorMessage);
            await("the error event", Duration.ofSeconds(20), () -> {
                try {
                    return run.eventSummary().contains("instance.snapshot.error");
                } catch (Exception e) {
                    return false;
                }
            });
        }
        assertThrows(ImageNotFound.class, () -> glance.get(image), "nova's delete_image_on_error");
    }

    @Test
    void backupsAreRotatedKeepingTheNewest() throws Exception {
        List<UUID> backups = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            UUID image = newImage();
            backups.add(image);
            byte[] cast = SnapshotRun.castFor("backup_instance.cast.json", guest, image, IngressIT.HOST);
            try (SnapshotRun run = stack.run(guest.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, withRotation(cast, "it-" + guest.name(), 2));
                SnapshotTask task = SnapshotRun.finished(image);
                assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);
                List<TaskTransition> history = tasks.history(task.id);
                assertEquals("image_backup", history.get(1).toState);
            }
        }
        assertThrows(ImageNotFound.class, () -> glance.get(backups.get(0)), "the oldest backup was rotated out");
        assertEquals(GlanceImage.ACTIVE, glance.get(backups.get(1)).status());
        assertEquals(GlanceImage.ACTIVE, glance.get(backups.get(2)).status());
        String imagesPool = SnapshotRun.rbd(stack.cephConf(), "ls", "images");
        assertFalse(imagesPool.contains(backups.get(0).toString()), "Glance removed the rotated backup's clone");
    }

    private static byte[] withRotation(byte[] cast, String backupType, int rotation) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var outer = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(cast);
        var inner = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(outer.get("oslo.message").asText());
        ((com.fasterxml.jackson.databind.node.ObjectNode) inner.get("args")).put("backup_type", backupType).put("rotation", rotation);
        outer.put("oslo.message", inner.toString());
        return json.writeValueAsBytes(outer);
    }
}
