package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
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
import io.snapshotagent.task.TaskTransition;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent as a Ceph client without write caps on the images pool (nova's {@code Forbidden}):
 * the direct path is refused and the standard snapshot runs — cold, through qemu-img and an
 * upload — and nothing is left anywhere.
 */
@QuarkusTest
@TestProfile(RbdFallbackIT.Restricted.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbdFallbackIT {

    public static class Restricted implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("snapshot.host", IngressIT.HOST, "snapshot.rbd.user", "nova-restricted");
        }
    }

    @Inject
    StackSettings stack;

    @Inject
    GlanceImages glance;
    @Inject
    TaskService tasks;
    @Inject
    io.snapshotagent.image.KeystoneSession keystone;

    private StackGuest guest;

    @BeforeAll
    void guest() {
        guest = StackGuest.create("it-fallback", "rbd", 32);
    }

    @AfterAll
    void cleanup() {
        stack.deleteImages();
        if (guest != null) {
            guest.close();
        }
    }

    private SnapshotTask snapshot(UUID image) throws Exception {
        try (SnapshotRun run = stack.run(guest.uuid())) {
            run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
            SnapshotTask task = SnapshotRun.finished(image);
            lastEvents = run.eventSummary();
            return task;
        }
    }

    private List<String> lastEvents = List.of();

    private String downloadSha256(UUID image) throws Exception {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9292/v2/images/" + image + "/file"))
                .header("X-Auth-Token", keystone.token().getId()).build();
        HttpResponse<InputStream> r = HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void forbiddenOnTheImagesPoolFallsBackToAColdExtractAndUpload() throws Exception {
        UUID image = stack.newImage("it-fallback-" + guest.name());
        SnapshotTask task = snapshot(image);
        assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);

        GlanceImage result = glance.get(image);
        assertEquals(GlanceImage.ACTIVE, result.status());
        assertEquals("raw", result.diskFormat());
        assertEquals(guest.sizeBytes(), result.size());
        assertTrue(result.locations().stream().noneMatch(l -> l.startsWith("rbd://")), "uploaded, not a clone: " + result.locations());
        assertEquals(guest.sha256(), downloadSha256(image), "the uploaded bytes are the disk's");
        assertEquals("running", SnapshotRun.domstate(guest.uuid()), "restored after the cold extract");

        List<String> why = tasks.history(task.id).stream().map(t -> t.reason).toList();
        assertTrue(why.stream().anyMatch(r -> r.contains("no write permission on storage pool images")), why.toString());
        assertEquals(List.of("instance.update image_snapshot_pending->image_snapshot", "instance.snapshot.start",
                "instance.update image_snapshot->image_pending_upload", "instance.update image_pending_upload->image_uploading",
                "instance.update image_uploading->image_pending_upload", "instance.update image_pending_upload->image_uploading",
                "instance.update image_uploading->None", "instance.snapshot.end"), lastEvents);

        assertEquals("", SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + guest.uuid() + "_disk").strip());
        assertFalse(SnapshotRun.rbd(stack.cephConf(), "ls", "images").contains(image.toString()));
        assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
    }

    @Test
    void aPausedGuestComesBackPaused() throws Exception {
        SnapshotRun.sh("virsh", "-c", "qemu:///system", "suspend", guest.uuid().toString());
        try {
            UUID image = stack.newImage("it-fallback-paused-" + guest.name());
            SnapshotTask task = snapshot(image);
            assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);
            assertEquals(guest.sha256(), downloadSha256(image));
            assertEquals("paused", SnapshotRun.domstate(guest.uuid()));
        } finally {
            SnapshotRun.sh("virsh", "-c", "qemu:///system", "resume", guest.uuid().toString());
        }
    }

    @Test
    void anImageDeletedBeforeTheUploadEndsTheTaskQuietly() throws Exception {
        UUID image = glance.create("it-fallback-gone-" + guest.name(), Map.of()).id();
        glance.delete(image);
        SnapshotTask task = snapshot(image);
        assertEquals(TaskOutcome.FAILED, task.outcome);
        assertEquals("image-not-found", task.errorCode);
        assertThrows(ImageNotFound.class, () -> glance.get(image));
        assertEquals("running", SnapshotRun.domstate(guest.uuid()));
        List<TaskTransition> history = tasks.history(task.id);
        assertEquals("image_snapshot", history.get(1).toState, "it never got to save the guest");
        assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
    }

    @Test
    void qemuImgKilledMidConvertFailsTheTaskAndRestoresTheGuest() throws Exception {
        try (StackGuest big = StackGuest.create("it-fallback-big", "rbd", 384)) {
            UUID image = stack.newImage("it-fallback-killed-" + big.name());
            try (SnapshotRun run = stack.run(big.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", big, image, IngressIT.HOST));
                SnapshotRun.awaitProcess("qemu-img convert .*" + big.uuid(), true);
            }
            SnapshotTask task = SnapshotRun.finished(image);
            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertEquals("qemu-img-failed", task.errorCode, task.errorMessage);
            assertEquals("running", SnapshotRun.domstate(big.uuid()), "the guest is never left saved");
            assertThrows(ImageNotFound.class, () -> glance.get(image));
            assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
            assertEquals("", SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + big.uuid() + "_disk").strip());
        }
    }

    /** nova: the instance deleted mid-snapshot ends the task and deletes the image; nothing stays. */
    @Test
    void anInstanceDeletedMidSnapshotEndsItAndLeavesNothing() throws Exception {
        try (StackGuest doomed = StackGuest.create("it-fallback-doomed", "rbd", 384)) {
            UUID image = stack.newImage("it-fallback-doomed-" + doomed.name());
            try (SnapshotRun run = stack.run(doomed.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", doomed, image, IngressIT.HOST));
                SnapshotRun.awaitProcess("qemu-img convert .*" + doomed.uuid(), false);
                // what nova's delete does to the domain (the disk itself stays until nova removes it)
                SnapshotRun.sh("virsh", "-c", "qemu:///system", "undefine", doomed.uuid().toString(), "--managed-save");
            }
            SnapshotTask task = SnapshotRun.finished(image);
            assertEquals(TaskOutcome.FAILED, task.outcome);
            assertEquals("instance-not-found", task.errorCode, task.errorMessage);
            assertThrows(ImageNotFound.class, () -> glance.get(image));
            assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
            assertEquals("", SnapshotRun.rbd(stack.cephConf(), "snap", "ls", "vms/" + doomed.uuid() + "_disk").strip());
        }
    }
}
