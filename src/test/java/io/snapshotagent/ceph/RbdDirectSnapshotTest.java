package io.snapshotagent.ceph;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step order and every failure path of the direct snapshot, on {@link FakeRbdImages}. */
class RbdDirectSnapshotTest {

    private static final ParentSpec BASE = new ParentSpec("images", "base", "snap");
    private static final UUID INSTANCE = UUID.fromString("7d3c6e2a-49c3-4b0e-9d0e-5a9a63a1c001");

    private FakeRbdImages cluster;
    private RbdDirectSnapshot direct;
    private DirectSnapshotRequest request;
    private String disk;
    private String clone;
    private String sourceSnap;

    @BeforeEach
    void nova_like_cluster() {
        // a Glance image with its protected snap, and an instance disk cloned from it, as nova boots
        cluster = new FakeRbdImages(Set.of());
        cluster.addImage("images", "base");
        cluster.addSnap("images", "base", "snap", true);
        cluster.addClone("vms", INSTANCE + "_disk", BASE, Map.of());
        direct = new RbdDirectSnapshot(cluster);
        request = new DirectSnapshotRequest(UUID.randomUUID(), "vms", INSTANCE + "_disk", "images", UUID.randomUUID());
        disk = "vms/" + request.diskImage();
        clone = "images/" + request.cloneImage();
        sourceSnap = disk + "@" + request.sourceSnap();
    }

    private RbdLocation snapshot() throws CephException {
        return direct.directSnapshot(request, FlattenListener.NONE, () -> false);
    }

    @Test
    void snapshotsClonesFlattensAndLeavesOnlyTheProtectedSnapOfTheClone() throws CephException {
        String before = cluster.state();

        RbdLocation location = snapshot();

        assertEquals("rbd://" + FakeRbdImages.FSID + "/images/" + request.imageId() + "/snap", location.url());
        assertEquals(List.of(
                "fsid ",
                "createSnap " + sourceSnap,
                "clone " + clone,
                "setMetadata " + clone,
                "flatten " + clone,
                "removeSnap " + sourceSnap,
                "createSnap " + clone + "@snap"), cluster.calls);
        assertEquals(Optional.empty(), cluster.parentOf(clone), "the clone is flat");
        assertEquals(Map.of("snap", true), cluster.snapsOf(clone));
        assertEquals(Map.of(RbdDirectSnapshot.TASK_KEY, request.taskId().toString()), cluster.metadataOf(clone));
        assertEquals(Map.of(), cluster.snapsOf(disk), "the disk has no snapshot left");
        assertEquals(Optional.of(BASE), cluster.parentOf(disk), "the disk is untouched");
        assertEquals(new DirectSnapshotLeftovers(Optional.empty(), Optional.of(clone), Optional.of(clone + "@snap")),
                direct.leftovers(request));
        direct.cleanup(request);
        assertEquals(before, cluster.state(), "cleanup() of a finished snapshot removes the clone");
    }

    @ParameterizedTest
    @ValueSource(strings = {"clone", "setMetadata", "flatten", "removeSnap-source", "createSnap-clone"})
    void aFailureAtAnyStepAfterTheDiskSnapshotLeavesTheClusterAsItWas(String step) {
        String before = cluster.state();
        CephException failure = new CephException("injected failure at " + step, 5, null);
        switch (step) {
            case "clone" -> cluster.failBefore("clone", clone, failure);
            case "setMetadata" -> cluster.failBefore("setMetadata", clone, failure);
            case "flatten" -> cluster.failBefore("flatten", clone, failure);
            case "removeSnap-source" -> cluster.failBefore("removeSnap", sourceSnap, failure);
            case "createSnap-clone" -> cluster.failBefore("createSnap", clone + "@snap", failure);
            default -> throw new IllegalArgumentException(step);
        }

        CephException thrown = assertThrows(CephException.class, this::snapshot);

        assertSame(failure, thrown);
        assertEquals(0, thrown.getSuppressed().length, () -> List.of(thrown.getSuppressed()).toString());
        assertEquals(before, cluster.state());
    }

    @ParameterizedTest
    @ValueSource(strings = {"createSnap-source", "clone", "createSnap-clone"})
    void aFailureThatStillTookEffectIsUndoneToo(String step) {
        // e.g. an OSD op timeout after the OSD did apply it
        String before = cluster.state();
        CephException timeout = RbdErrors.failure("injected timeout", -RbdErrors.ETIMEDOUT, null);
        switch (step) {
            case "createSnap-source" -> cluster.failAfter("createSnap", sourceSnap, timeout);
            case "clone" -> cluster.failAfter("clone", clone, timeout);
            case "createSnap-clone" -> cluster.failAfter("createSnap", clone + "@snap", timeout);
            default -> throw new IllegalArgumentException(step);
        }

        assertSame(timeout, assertThrows(CephException.class, this::snapshot));

        assertEquals(before, cluster.state());
    }

    @Test
    void aCancelledFlattenRemovesTheCloneAndTheDiskSnapshot() {
        String before = cluster.state();
        AtomicBoolean cancel = new AtomicBoolean();
        cluster.duringFlatten = () -> cancel.set(true);

        assertThrows(RbdCancelled.class, () -> direct.directSnapshot(request, FlattenListener.NONE, cancel::get));

        assertEquals(before, cluster.state());
    }

    @Test
    void anInterruptDuringTheFlattenCancelsCleansUpAndStaysSet() {
        String before = cluster.state();
        cluster.duringFlatten = () -> Thread.currentThread().interrupt();
        try {
            assertThrows(RbdCancelled.class, this::snapshot);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is the caller's to see");
        } finally {
            Thread.interrupted();
        }
        assertEquals(before, cluster.state());
    }

    @Test
    void aCancelBeforeTheStartMakesNothing() {
        String before = cluster.state();
        assertThrows(RbdCancelled.class, () -> direct.directSnapshot(request, FlattenListener.NONE, () -> true));
        assertEquals(before, cluster.state());
        assertEquals(List.of("fsid "), cluster.calls);
    }

    @Test
    void aListenerThatThrowsFailsTheSnapshotAndItIsCleanedUp() {
        String before = cluster.state();
        IllegalStateException broken = new IllegalStateException("progress store down");
        FlattenListener listener = (done, total) -> {
            throw broken;
        };

        assertSame(broken, assertThrows(IllegalStateException.class,
                () -> direct.directSnapshot(request, listener, () -> false)));

        assertEquals(before, cluster.state());
    }

    @Test
    void noWritePermissionOnTheTargetPoolIsForbiddenAndLeavesNoSnapshot() {
        cluster = new FakeRbdImages(Set.of("images"));
        cluster.addImage("images", "base");
        cluster.addSnap("images", "base", "snap", true);
        cluster.addClone("vms", INSTANCE + "_disk", BASE, Map.of());
        direct = new RbdDirectSnapshot(cluster);
        String before = cluster.state();

        RbdForbidden forbidden = assertThrows(RbdForbidden.class, this::snapshot);

        assertTrue(forbidden.getMessage().startsWith("no write permission on storage pool images"), forbidden.getMessage());
        assertEquals(before, cluster.state());
    }

    @Test
    void anImageAlreadyUnderTheCloneNameIsNeverTouched() throws CephException {
        cluster.addClone("images", request.cloneImage(), null, Map.of(RbdDirectSnapshot.TASK_KEY, "another task"));
        String before = cluster.state();

        assertThrows(RbdExists.class, this::snapshot);

        assertEquals(before, cluster.state());
        assertTrue(direct.leftovers(request).isEmpty(), "another task's image is not this task's leftover");
        direct.cleanup(request);
        assertEquals(before, cluster.state());
    }

    @Test
    void theTasksSnapshotLeftFromAnEarlierRunIsReportedNotReusedAndNotRemoved() throws CephException {
        cluster.addSnap("vms", request.diskImage(), request.sourceSnap(), true);
        String before = cluster.state();

        RbdExists exists = assertThrows(RbdExists.class, this::snapshot);

        assertTrue(exists.getMessage().contains("cleanup()"), exists.getMessage());
        assertEquals(before, cluster.state());
    }

    @Test
    void whenTheUndoFailsTooTheRemovalErrorIsSuppressedAndCleanupFinishesLater() throws CephException {
        CephException flatten = new CephException("flatten failed", 5, null);
        CephException removal = RbdErrors.failure("cluster gone", -RbdErrors.ETIMEDOUT, null);
        cluster.failBefore("flatten", clone, flatten);
        cluster.failBefore("removeImage", clone, removal);
        String before = cluster.state();

        CephException thrown = assertThrows(CephException.class, this::snapshot);

        assertSame(flatten, thrown);
        assertSame(removal, thrown.getSuppressed()[0]);
        DirectSnapshotLeftovers left = direct.leftovers(request);
        assertEquals(Optional.of(sourceSnap), left.sourceSnap());
        assertEquals(Optional.of(clone), left.cloneImage());
        assertEquals(left, direct.cleanup(request));
        assertEquals(before, cluster.state());
    }

    @Test
    void cleanupRemovesACrashedRunsUntaggedCloneOfTheTasksSnapshot() throws CephException {
        // the agent died between the clone and the metadata
        String before = cluster.state();
        cluster.addSnap("vms", request.diskImage(), request.sourceSnap(), true);
        cluster.addClone("images", request.cloneImage(), new ParentSpec("vms", request.diskImage(), request.sourceSnap()),
                Map.of());

        DirectSnapshotLeftovers removed = direct.cleanup(request);

        assertEquals(List.of(sourceSnap, clone), removed.specs());
        assertEquals(before, cluster.state());
        assertTrue(direct.cleanup(request).isEmpty(), "idempotent");
    }

    @Test
    void cleanupLeavesAnUntaggedImageThatIsNotACloneOfTheTasksSnapshot() throws CephException {
        cluster.addImage("images", request.cloneImage());
        String before = cluster.state();

        assertTrue(direct.cleanup(request).isEmpty());

        assertEquals(before, cluster.state());
    }

    @Test
    void sourceSnapsFindsTemporarySnapshotsOfAllTasksAndNothingElse() throws CephException {
        UUID other = UUID.randomUUID();
        cluster.addSnap("vms", request.diskImage(), request.sourceSnap(), true);
        cluster.addSnap("vms", request.diskImage(), "nova-resize", false);
        cluster.addImage("vms", "other_disk");
        cluster.addSnap("vms", "other_disk", RbdDirectSnapshot.SOURCE_SNAP_PREFIX + other, true);
        cluster.addSnap("vms", "other_disk", RbdDirectSnapshot.SOURCE_SNAP_PREFIX + "not-a-uuid", true);

        assertEquals(List.of(
                new SourceSnap(request.taskId(), "vms", request.diskImage(), request.sourceSnap()),
                new SourceSnap(other, "vms", "other_disk", RbdDirectSnapshot.SOURCE_SNAP_PREFIX + other)),
                direct.sourceSnaps("vms"));
    }

    @Test
    void theTaskIdIsReadBackOnlyFromTheExactSnapshotName() {
        UUID task = UUID.randomUUID();
        assertEquals(Optional.of(task), RbdDirectSnapshot.taskOf("snapshot-agent-" + task));
        assertFalse(RbdDirectSnapshot.taskOf("snapshot-agent-" + task.toString().toUpperCase()).isPresent());
        assertFalse(RbdDirectSnapshot.taskOf("snapshot-agent-1-2-3-4-5").isPresent());
        assertFalse(RbdDirectSnapshot.taskOf("snap").isPresent());
        assertEquals("snapshot-agent-" + task,
                new DirectSnapshotRequest(task, "vms", "d", "images", UUID.randomUUID()).sourceSnap());
    }
}
