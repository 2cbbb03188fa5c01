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
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LibrbdImages} against the local stack's Ceph, as client nova (and nova-restricted for the
 * Forbidden case), checked with the rbd CLI as client.admin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class RbdImagesIT {

    private CephStack stack;
    private RadosCluster nova;
    private RadosCluster restricted;
    private RbdImages images;

    private final Deque<String> created = new ArrayDeque<>();
    private String base;
    private String diskImage;
    private String disk;

    @BeforeAll
    void connect() {
        stack = CephStack.up();
        nova = stack.cluster("nova");
        restricted = stack.cluster("nova-restricted");
        images = new LibrbdImages(nova, 2, Duration.ofMillis(500));
    }

    @AfterAll
    void disconnect() {
        nova.close();
        restricted.close();
    }

    @BeforeEach
    void novaInstanceDisk() throws IOException {
        String prefix = "sa-ceph-it-" + UUID.randomUUID().toString().substring(0, 8);
        base = prefix + "-base";
        stack.glanceImage("images", base, 12, 42);
        created.push("images/" + base);
        diskImage = UUID.randomUUID() + "_disk";
        disk = "vms/" + diskImage;
        stack.novaDisk("images/" + base, disk, 2);
        created.push(disk);
    }

    @AfterEach
    void removeWhatTheTestMade() {
        while (!created.isEmpty()) {
            stack.purge(created.pop());
        }
    }

    @Test
    void theParentOfANovaDiskIsTheGlanceSnapshotAndThereIsNoneAfterAFlatten() throws CephException {
        String content = stack.sha256(disk);
        assertEquals(Optional.of(new ParentSpec("images", base, "snap")), images.parent("vms", diskImage));
        assertEquals(Optional.empty(), images.parent("images", base), "a Glance image is no clone");

        List<long[]> progress = new CopyOnWriteArrayList<>();
        images.flatten("vms", diskImage, (done, total) -> progress.add(new long[] {done, total}), () -> false);

        assertEquals(Optional.empty(), images.parent("vms", diskImage));
        assertTrue(stack.info(disk).path("parent").isMissingNode(), stack.info(disk).toString());
        assertEquals(content, stack.sha256(disk), "a flatten does not change what the guest sees");
        assertFalse(progress.isEmpty(), "librbd reported progress");
        assertEquals(3, progress.get(0)[1], "12 MiB are 3 objects of 4 MiB");
        images.flatten("vms", diskImage, FlattenListener.NONE, () -> false); // again: nothing to do, no error
    }

    @Test
    void snapshotsAreCreatedProtectedListedAndRemovedIdempotently() throws CephException {
        images.createSnap("vms", diskImage, "s1", true);
        images.createSnap("vms", diskImage, "s2", false);

        assertEquals(Map.of("s1", true, "s2", false), stack.snaps(disk));
        assertEquals(List.of("s1", "s2"), images.listSnaps("vms", diskImage).stream().map(RbdSnap::name).toList());
        assertEquals(12L << 20, images.listSnaps("vms", diskImage).get(0).size());
        assertTrue(images.snapProtected("vms", diskImage, "s1"));
        assertTrue(images.snapExists("vms", diskImage, "s2"));
        assertThrows(RbdExists.class, () -> images.createSnap("vms", diskImage, "s1", true));

        assertTrue(images.removeSnap("vms", diskImage, "s1"), "unprotected first");
        assertTrue(images.removeSnap("vms", diskImage, "s2"));
        assertFalse(images.removeSnap("vms", diskImage, "s1"));
        assertFalse(images.removeSnap("vms", "sa-ceph-it-no-such-image", "s1"));
        assertFalse(images.snapExists("vms", "sa-ceph-it-no-such-image", "s1"));
        assertEquals(Map.of(), stack.snaps(disk));
    }

    @Test
    void manySnapshotsAreListed() throws CephException {
        // more than rados-java's fixed 16-entry first try
        for (int i = 0; i < 20; i++) {
            stack.rbd("snap", "create", "--no-progress", disk + "@s" + i);
        }
        assertEquals(20, images.listSnaps("vms", diskImage).size());
    }

    @Test
    void aProtectedSnapshotWithClonesIsBusy() throws CephException {
        RbdBusy busy = assertThrows(RbdBusy.class, () -> images.removeSnap("images", base, "snap"));
        assertTrue(busy.getMessage().contains("images/" + base + "@snap"), busy.getMessage());
        assertEquals(Map.of("snap", true), stack.snaps("images/" + base), "left as it was");
    }

    @Test
    void imagesAreListedSizedTaggedAndRemovedIdempotently() throws CephException {
        assertTrue(images.listImages("vms").contains(diskImage));
        assertTrue(images.exists("vms", diskImage));
        assertFalse(images.exists("vms", "sa-ceph-it-no-such-image"));
        assertEquals(12L << 20, images.size("vms", diskImage));

        assertEquals(Optional.empty(), images.metadata("vms", diskImage, "snapshot-agent.task-id"));
        images.setMetadata("vms", diskImage, "snapshot-agent.task-id", "a-task");
        assertEquals("a-task", stack.rbd("image-meta", "get", disk, "snapshot-agent.task-id").trim());
        assertEquals(Optional.of("a-task"), images.metadata("vms", diskImage, "snapshot-agent.task-id"));
        String longValue = "v".repeat(1000);
        images.setMetadata("vms", diskImage, "long", longValue);
        assertEquals(Optional.of(longValue), images.metadata("vms", diskImage, "long"), "more than the first buffer");

        RbdNotFound missing = assertThrows(RbdNotFound.class, () -> images.size("vms", "sa-ceph-it-no-such-image"));
        assertTrue(missing.getMessage().contains("vms/sa-ceph-it-no-such-image"), missing.getMessage());

        images.createSnap("vms", diskImage, "keep", false);
        RbdBusy hasSnaps = assertThrows(RbdBusy.class, () -> images.removeImage("vms", diskImage));
        assertEquals(RbdErrors.ENOTEMPTY, hasSnaps.errno());
        images.removeSnap("vms", diskImage, "keep");

        assertTrue(images.removeImage("vms", diskImage));
        assertFalse(images.removeImage("vms", diskImage));
        assertFalse(stack.ls("vms").contains(diskImage));
    }

    @Test
    void aMissingPoolIsAnErrorNotAnAbsentImage() {
        CephException e = assertThrows(CephException.class, () -> images.removeImage("sa-ceph-it-no-pool", "x"));
        assertFalse(e instanceof RbdNotFound, "removing from a wrong pool must not look done");
        assertEquals(RbdErrors.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("sa-ceph-it-no-pool"), e.getMessage());
    }

    @Test
    void cloningIntoAPoolWithoutWriteCapsIsForbidden() throws CephException {
        String target = "sa-ceph-it-" + UUID.randomUUID();
        images.createSnap("vms", diskImage, "s", true);
        RbdImages limited = new LibrbdImages(restricted, 0, Duration.ZERO);

        RbdForbidden forbidden = assertThrows(RbdForbidden.class,
                () -> limited.clone("vms", diskImage, "s", "images", target));

        assertTrue(forbidden.getMessage().startsWith("no write permission on storage pool images"),
                forbidden.getMessage());
        assertEquals(RbdErrors.EPERM, forbidden.errno());
        assertFalse(stack.ls("images").contains(target));
        assertEquals(Optional.of(new ParentSpec("images", base, "snap")), limited.parent("vms", diskImage));
        assertEquals(Optional.empty(), limited.parent("images", base), "read-only caps suffice for parent()");
        images.removeSnap("vms", diskImage, "s");
    }

    @Test
    void aCloneOfASnapshotHasItAsParentAndTheParentsFeatures() throws CephException {
        String target = "sa-ceph-it-" + UUID.randomUUID();
        images.createSnap("vms", diskImage, "s", true);
        images.clone("vms", diskImage, "s", "images", target);
        created.push("images/" + target);

        assertEquals(Optional.of(new ParentSpec("vms", diskImage, "s")), images.parent("images", target));
        assertEquals(stack.info(disk).path("features"), stack.info("images/" + target).path("features"));
        assertEquals(stack.sha256(disk + "@s"), stack.sha256("images/" + target));
        assertThrows(RbdExists.class, () -> images.clone("vms", diskImage, "s", "images", target));
    }

    @Test
    void aFlattenStopsWhenCancelledAndTheCloneKeepsItsParent() throws CephException {
        AtomicBoolean cancel = new AtomicBoolean();
        List<long[]> progress = new CopyOnWriteArrayList<>();

        RbdCancelled cancelled = assertThrows(RbdCancelled.class, () -> images.flatten("vms", diskImage,
                (done, total) -> {
                    progress.add(new long[] {done, total});
                    cancel.set(true);
                }, cancel::get));

        assertTrue(cancelled.getMessage().contains(disk), cancelled.getMessage());
        assertEquals(1, progress.size(), "no progress after the cancel");
        assertEquals(Optional.of(new ParentSpec("images", base, "snap")), images.parent("vms", diskImage));
    }

    @Test
    void aFlattenStopsWhenItsThreadIsInterruptedAndTheInterruptStays() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Thread[] thread = new Thread[1];
            Future<Boolean> result = worker.submit(() -> {
                thread[0] = Thread.currentThread();
                assertThrows(RbdCancelled.class, () -> images.flatten("vms", diskImage,
                        (done, total) -> thread[0].interrupt(), () -> false));
                return Thread.interrupted();
            });
            assertTrue(result.get(), "the interrupt is still set");
        } finally {
            worker.shutdownNow();
        }
        assertEquals(Optional.of(new ParentSpec("images", base, "snap")), images.parent("vms", diskImage));
    }

    @Test
    void aListenerFailureAbortsTheFlattenAndIsRethrown() {
        IllegalStateException broken = new IllegalStateException("listener broke");
        assertSame(broken, assertThrows(IllegalStateException.class, () -> images.flatten("vms", diskImage,
                (done, total) -> {
                    throw broken;
                }, () -> false)));
    }

    @Test
    void flattenThroughputOfTheBindingAndTheCliOn64MiB() throws Exception {
        String big = base + "-64";
        stack.glanceImage("images", big, 64, 7);
        created.push("images/" + big);
        String viaBinding = UUID.randomUUID() + "_disk";
        String viaCli = UUID.randomUUID() + "_disk";
        stack.novaDisk("images/" + big, "vms/" + viaBinding, 0);
        created.push("vms/" + viaBinding);
        stack.novaDisk("images/" + big, "vms/" + viaCli, 0);
        created.push("vms/" + viaCli);

        long t0 = System.nanoTime();
        images.flatten("vms", viaBinding, FlattenListener.NONE, () -> false);
        long binding = System.nanoTime() - t0;
        t0 = System.nanoTime();
        stack.rbd("flatten", "--no-progress", "vms/" + viaCli);
        long cli = System.nanoTime() - t0;

        System.out.printf("flatten of 64 MiB: binding %.0f ms (%.0f MiB/s), rbd CLI %.0f ms (%.0f MiB/s, with its start-up)%n",
                binding / 1e6, 64 / (binding / 1e9), cli / 1e6, 64 / (cli / 1e9));
        assertEquals(Optional.empty(), images.parent("vms", viaBinding));
        assertEquals(Optional.empty(), images.parent("vms", viaCli));
        String expected = stack.sha256("images/" + big + "@snap");
        assertEquals(expected, stack.sha256("vms/" + viaBinding));
        assertEquals(expected, stack.sha256("vms/" + viaCli));
        assertNotEquals(stack.sha256(disk), expected);
    }
}
