package io.snapshotagent.ceph;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nova's direct RBD snapshot on the local stack's Ceph: a Glance image in {@code images}, an
 * instance disk cloned from it in {@code vms} with data of its own, snapshotted by the agent as
 * client nova. Every outcome is checked with the rbd CLI as client.admin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class RbdDirectSnapshotIT {

    private CephStack stack;
    private RadosCluster nova;
    private RadosCluster restricted;
    private RbdImages images;
    private RbdDirectSnapshot direct;

    /** Images a test makes besides the fixture's, removed first. */
    private final List<String> extra = new ArrayList<>();
    private String base;
    private String diskImage;
    private String disk;
    private DirectSnapshotRequest request;
    private String clone;

    @BeforeAll
    void connect() {
        stack = CephStack.up();
        nova = stack.cluster("nova");
        restricted = stack.cluster("nova-restricted");
        images = new LibrbdImages(nova, 2, Duration.ofMillis(500));
        direct = new RbdDirectSnapshot(images);
    }

    @AfterAll
    void disconnect() {
        nova.close();
        restricted.close();
    }

    @BeforeEach
    void novaInstanceDisk() throws IOException {
        base = "sa-ceph-it-" + UUID.randomUUID().toString().substring(0, 8) + "-base";
        stack.glanceImage("images", base, 16, 1234);
        UUID instance = UUID.randomUUID();
        diskImage = instance + "_disk";
        disk = "vms/" + diskImage;
        stack.novaDisk("images/" + base, disk, 3);
        request = new DirectSnapshotRequest(UUID.randomUUID(), "vms", diskImage, "images", UUID.randomUUID());
        clone = "images/" + request.imageId();
    }

    @AfterEach
    void removeWhatTheTestMade() {
        // children before parents: a clone may still be a child of the disk's snapshot
        extra.forEach(stack::purge);
        extra.clear();
        stack.purge(clone);
        stack.purge(disk);
        stack.purge("images/" + base);
    }

    /** Nothing of the task is left: the disk has no snapshot, the clone does not exist, the base is as booted. */
    private void assertNothingLeft() throws CephException {
        assertEquals(Map.of(), stack.snaps(disk), "the disk has no snapshot left");
        assertEquals("images/" + base + "@snap", parentOf(disk), "the disk is still nova's clone");
        assertFalse(stack.ls("images").contains(request.cloneImage()), "no clone in images");
        assertEquals(Map.of("snap", true), stack.snaps("images/" + base));
        DirectSnapshotLeftovers left = direct.leftovers(request);
        assertTrue(left.isEmpty(), () -> "leftovers: " + left);
    }

    private String parentOf(String spec) {
        var parent = stack.info(spec).path("parent");
        return parent.isMissingNode() ? "none"
                : parent.path("pool").asText() + "/" + parent.path("image").asText() + "@" + parent.path("snapshot").asText();
    }

    @Test
    void theSnapshotIsAFlatImageInTheGlancePoolWithTheDisksContentAndNothingElseIsLeft() throws Exception {
        String diskContent = stack.sha256(disk);
        assertNotEquals(stack.sha256("images/" + base + "@snap"), diskContent, "the guest wrote data of its own");
        AtomicLong objects = new AtomicLong();

        RbdLocation location = direct.directSnapshot(request, (done, total) -> objects.set(total), () -> false);

        assertEquals("rbd://" + stack.confFsid() + "/images/" + request.imageId() + "/snap", location.url());
        assertEquals(diskContent, stack.sha256(clone + "@snap"), "the snapshot holds exactly the disk's data");
        assertEquals(diskContent, stack.sha256(disk), "the disk is unchanged");
        assertEquals("none", parentOf(clone), "flattened: Glance may delete the base image");
        assertEquals(Map.of("snap", true), stack.snaps(clone));
        assertEquals(Map.of(), stack.snaps(disk), "the temporary snapshot is gone");
        assertEquals("images/" + base + "@snap", parentOf(disk));
        assertEquals(request.taskId().toString(),
                stack.rbd("image-meta", "get", clone, RbdDirectSnapshot.TASK_KEY).trim());
        assertEquals(4, objects.get(), "16 MiB of 4 MiB objects");
        assertEquals(new DirectSnapshotLeftovers(Optional.empty(), Optional.of(clone), Optional.of(clone + "@snap")),
                direct.leftovers(request));

        // Glance refused the location, say: cleanup() takes the snapshot back
        assertEquals(List.of(clone, clone + "@snap"), direct.cleanup(request).specs());
        assertNothingLeft();
    }

    @Test
    void withoutWriteCapsOnTheGlancePoolItIsForbiddenAndLeavesNoSnapshot() throws CephException {
        RbdDirectSnapshot limited = new RbdDirectSnapshot(new LibrbdImages(restricted, 0, Duration.ZERO));

        RbdForbidden forbidden = assertThrows(RbdForbidden.class,
                () -> limited.directSnapshot(request, FlattenListener.NONE, () -> false));

        assertTrue(forbidden.getMessage().startsWith("no write permission on storage pool images"), forbidden.getMessage());
        assertNothingLeft();
    }

    @Test
    void aCancelledFlattenLeavesNothingBehind() throws CephException {
        AtomicBoolean cancel = new AtomicBoolean();

        assertThrows(RbdCancelled.class, () -> direct.directSnapshot(request, (done, total) -> cancel.set(true), cancel::get));

        assertNothingLeft();
    }

    @Test
    void anInterruptedSnapshotLeavesNothingBehindAndTheThreadStaysInterrupted() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Thread[] thread = new Thread[1];
            Future<Boolean> interrupted = worker.submit(() -> {
                thread[0] = Thread.currentThread();
                assertThrows(RbdCancelled.class,
                        () -> direct.directSnapshot(request, (done, total) -> thread[0].interrupt(), () -> false));
                return Thread.interrupted();
            });
            assertTrue(interrupted.get());
        } finally {
            worker.shutdownNow();
        }
        assertNothingLeft();
    }

    @Test
    void aFailureDuringTheFlattenAfterTheCloneLeavesNothingBehind() throws CephException {
        IllegalStateException failure = new IllegalStateException("the task store went away");

        assertSame(failure, assertThrows(IllegalStateException.class, () -> direct.directSnapshot(request,
                (done, total) -> {
                    assertTrue(stack.exists(clone), "the clone exists when the flatten runs");
                    throw failure;
                }, () -> false)));

        assertNothingLeft();
    }

    @Test
    void aFailureOfTheLastStepRemovesTheFlattenedClone() throws CephException {
        // someone else takes the name of the clone's snapshot between the flatten and the last
        // step. The cancellation poll on the caller's thread is the hook for that: a listener
        // must not block librbd's thread (see FlattenListener).
        Thread caller = Thread.currentThread();
        AtomicBoolean flattening = new AtomicBoolean();
        AtomicBoolean taken = new AtomicBoolean();
        BooleanSupplier takeTheName = () -> {
            if (Thread.currentThread() == caller && flattening.get() && taken.compareAndSet(false, true)) {
                stack.rbd("snap", "create", "--no-progress", clone + "@" + RbdDirectSnapshot.SNAP);
            }
            return false;
        };

        RbdExists exists = assertThrows(RbdExists.class,
                () -> direct.directSnapshot(request, (done, total) -> flattening.set(true), takeTheName));

        assertTrue(taken.get());
        assertTrue(exists.getMessage().contains(clone + "@snap"), exists.getMessage());
        assertNothingLeft();
    }

    @Test
    void cleanupRemovesWhatACrashLeftAfterTheClone() throws Exception {
        // the agent died right after the clone: the disk's snapshot and an untagged, unflattened clone
        String sourceSnap = disk + "@" + request.sourceSnap();
        stack.rbd("snap", "create", "--no-progress", sourceSnap);
        stack.rbd("snap", "protect", sourceSnap);
        stack.rbd("clone", sourceSnap, clone);
        assertEquals(List.of(new SourceSnap(request.taskId(), "vms", diskImage, request.sourceSnap())),
                direct.sourceSnaps("vms").stream().filter(s -> s.image().equals(diskImage)).toList());
        assertEquals(new DirectSnapshotLeftovers(Optional.of(sourceSnap), Optional.of(clone), Optional.empty()),
                direct.leftovers(request));

        assertEquals(List.of(sourceSnap, clone), direct.cleanup(request).specs());

        assertNothingLeft();
        assertTrue(direct.cleanup(request).isEmpty(), "idempotent");
    }

    @Test
    void cleanupRemovesAFinishedSnapshotOfTheTaskButNotAnotherTasksImage() throws Exception {
        // the agent died after the last step, before Glance had the location
        DirectSnapshotRequest other = new DirectSnapshotRequest(UUID.randomUUID(), "vms", diskImage, "images",
                UUID.randomUUID());
        extra.add("images/" + other.imageId());
        direct.directSnapshot(request, FlattenListener.NONE, () -> false);
        direct.directSnapshot(other, FlattenListener.NONE, () -> false);
        // a third task whose clone name collides with the first one's image: not its leftover
        DirectSnapshotRequest collision = new DirectSnapshotRequest(UUID.randomUUID(), "vms", diskImage, "images",
                request.imageId());
        assertTrue(direct.cleanup(collision).isEmpty());
        assertTrue(stack.exists(clone), "an image another task made is left alone");

        assertEquals(List.of(clone, clone + "@snap"), direct.cleanup(request).specs());

        assertNothingLeft();
        assertTrue(stack.exists("images/" + other.imageId()), "the other task's snapshot is untouched");
        assertEquals(Map.of("snap", true), stack.snaps("images/" + other.imageId()));
    }
}
