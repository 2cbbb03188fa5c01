package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.KeystoneSession;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.SnapshotRun;
import io.snapshotagent.it.support.StackSettings;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Local-disk guests (nova's qcow2, flat, lvm and ploop layouts) snapshotted through the agent:
 * the uploaded image, read back as raw, is the guest's disk; the guest is as it was.
 */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalDiskSnapshotIT {

    @Inject
    StackSettings stack;
    @Inject
    GlanceImages glance;
    @Inject
    KeystoneSession keystone;

    @AfterAll
    void cleanup() {
        stack.deleteImages();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"qcow2, qcow2, qcow2, running", "raw, raw, raw, running", "lvm, raw, raw, running",
            "ploop, ploop, parallels, shut off", "qcow2, qcow2, qcow2, shut off", "raw, raw, raw, shut off"})
    void aLocalDiskIsSnapshottedIntoGlance(String disk, String diskFormat, String qemuFormat, String state) throws Exception {
        try (StackGuest guest = StackGuest.create("it-local", disk, 16)) {
            if (state.equals("shut off") && !SnapshotRun.domstate(guest.uuid()).equals(state)) {
                // a stopped guest: the cold path with nothing to save
                SnapshotRun.sh("virsh", "-c", "qemu:///system", "destroy", guest.uuid().toString());
            }
            UUID image = stack.newImage("it-local-" + guest.name());
            SnapshotTask task;
            try (SnapshotRun run = stack.run(guest.uuid())) {
                run.publish("snapshot." + IngressIT.HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, IngressIT.HOST));
                task = SnapshotRun.finished(image);
            }
            assertEquals(TaskOutcome.SUCCEEDED, task.outcome, task.errorCode + ": " + task.errorMessage);
            GlanceImage result = glance.get(image);
            assertEquals(GlanceImage.ACTIVE, result.status());
            assertEquals(diskFormat, result.diskFormat());
            assertEquals(guest.sha256(), rawSha256(image, qemuFormat), "the image holds the guest's disk");
            assertEquals(state, SnapshotRun.domstate(guest.uuid()));
            assertEquals(List.of(), SnapshotRun.scratchLeftovers(stack.snapshots()));
        }
    }

    /** Downloads the image and reads it back as raw with qemu-img. */
    private String rawSha256(UUID image, String format) throws Exception {
        Path dir = Files.createTempDirectory("it-local-");
        try {
            Path file = dir.resolve("image");
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9292/v2/images/" + image + "/file"))
                    .header("X-Auth-Token", keystone.token().getId()).build();
            HttpResponse<InputStream> r = HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            try (InputStream in = r.body()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return SnapshotRun.sh("sh", "-c", "qemu-img convert -f " + format + " -O raw '" + file + "' '" + file
                    + ".raw' && sha256sum '" + file + ".raw' | cut -d' ' -f1").strip();
        } finally {
            SnapshotRun.sh("rm", "-rf", dir.toString());
        }
    }
}
