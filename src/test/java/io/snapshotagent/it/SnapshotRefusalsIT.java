package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.SnapshotRun;
import io.snapshotagent.it.support.StackSettings;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Refusals that must fail a snapshot cleanly, never fall back and never leave anything: Glance
 * refusing the RBD location (as nova, the task fails), and a snapshots directory too small for
 * the extract (checked before the guest is touched).
 */
@QuarkusTest
@TestProfile(SnapshotRefusalsIT.Profile.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotRefusalsIT {

    static final Path TINY = Path.of("/tmp/snapshot-agent-it-tiny-snapshots");

    /**
     * Clones go to {@code vms} (Glance's Ceph user cannot read it, so Glance refuses the location),
     * and the scratch space is a 4 MiB tmpfs.
     */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(TINY);
                if (!SnapshotRun.sh("sh", "-c", "mount | grep -F ' " + TINY + " ' || true").contains("tmpfs")) {
                    SnapshotRun.sh("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", TINY.toString());
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("snapshot.host", IngressIT.HOST, "snapshot.rbd.images-pool", "vms",
                    "snapshot.libvirt.snapshots-directory", TINY.toString());
        }
    }

    @Inject
    StackSettings stack;

    @Inject
    GlanceImages glance;

    @AfterAll
    void unmount() {
        SnapshotRun.sh("sh", "-c", "umount " + TINY + " 2>/dev/null; rmdir " + TINY + " 2>/dev/null; true");
    }

    private SnapshotTask snapshot(StackGuest guest, UUID image, byte[] cast) throws Exception {
        try (SnapshotRun run = stack.run(guest.uuid())) {
            run.publish("snapshot." + IngressIT.HOST, cast);
            return SnapshotRun.finished(image);
        }
    }

    @Test
    void aRefusedLocationFailsTheSnapshotAndRemovesTheClone() throws Exception {
        try (StackGuest guest = StackGuest.create("it-refused", "rbd", 16)) {
            // a flat disk and an unknown base image: the clone goes to the configured pool, vms
            SnapshotRun.rbd(stack.cephConf(), "flatten", "vms/" + guest.uuid() + "_disk");
            StackGuest unknownBase = new StackGuest(guest.name(), guest.uuid(), "rbd", 16, UUID.randomUUID().toString(),
                    guest.sha256());
            UUID image = glance.create("it-refused-" + guest.name(), Map.of()).id();
            SnapshotTask task = snapshot(guest, image,
                    SnapshotRun.castFor("snapshot_instance.cast.json", unknownBase, image, IngressIT.HOST));

            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertEquals("glance-error", task.errorCode, task.errorMessage);
            // Zed's Glance answers 500 when its own Ceph user cannot read the location's pool
            assertTrue(task.errorMessage.contains("PATCH /v2/images/" + image) && task.errorMessage.contains("HTTP 5"),
                    task.errorMessage);
            assertThrows(ImageNotFound.class, () -> glance.get(image), "nova's delete_image_on_error");
            assertFalse(SnapshotRun.rbd(stack.cephConf(), "ls", "vms").contains(image.toString()), "the clone is removed");
            assertEquals("", SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + guest.uuid() + "_disk").strip());
            assertEquals("running", SnapshotRun.domstate(guest.uuid()));
        }
    }

    @Test
    void aSnapshotsDirectoryTooSmallFailsBeforeTheGuestIsTouched() throws Exception {
        try (StackGuest guest = StackGuest.create("it-tiny", "qcow2", 16)) {
            UUID image = glance.create("it-tiny-" + guest.name(), Map.of()).id();
            SnapshotTask task = snapshot(guest, image,
                    SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertEquals("insufficient-disk-space", task.errorCode, task.errorMessage);
            assertEquals("running", SnapshotRun.domstate(guest.uuid()));
            assertThrows(ImageNotFound.class, () -> glance.get(image));
            assertEquals(List.of(), SnapshotRun.scratchLeftovers(TINY));
        }
    }
}
