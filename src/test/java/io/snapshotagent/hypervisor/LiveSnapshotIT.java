package io.snapshotagent.hypervisor;

import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.qemu.CacheMode;
import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.DiskSource;
import io.snapshotagent.qemu.ImageInfo;
import io.snapshotagent.qemu.QemuImg;
import io.snapshotagent.qemu.ScratchDir;
import io.snapshotagent.qemu.ScratchDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live snapshots of the local stack's running QEMU/TCG guests through the real libvirtd: content
 * checked byte for byte against what the guest tool says the guest sees, and after every run,
 * failed or not, no block job, the domain still persistent, the guest as it was, no delta.
 */
class LiveSnapshotIT {

    private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(2);
    /** Slow enough that a 32 MiB mirror takes seconds, so things can happen during it. */
    private static final long SLOW = 4L * 1024 * 1024;
    /** Where QEMU's HMP finds the guest's virtio disk (libvirt's alias virtio-disk0). */
    private static final String DISK_QDEV = "/machine/peripheral/virtio-disk0/virtio-backend";

    private static final List<StackGuest> created = new ArrayList<>();
    private static Map<String, String> stack;
    private static LibvirtConnection libvirt;
    private static Guests guests;
    private static QemuImg qemuImg;
    private static ScratchDirectories scratch;
    private static LiveSnapshot live;
    private static StackGuest qcow2;
    private static StackGuest raw;

    @BeforeAll
    static void setUp() {
        stack = LocalStack.upAndProperties();
        libvirt = new LibvirtConnection(stack.get("snapshot.libvirt.uri"));
        guests = new Guests(libvirt);
        qemuImg = new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT);
        scratch = new ScratchDirectories(Path.of(stack.get("snapshot.libvirt.snapshots-directory")),
                ScratchDirectories.UsableSpace.FILE_STORE);
        live = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS);
        qcow2 = guest("qcow2");
        raw = guest("raw");
    }

    @AfterAll
    static void tearDown() {
        created.forEach(StackGuest::close);
        if (libvirt != null) {
            libvirt.close();
        }
    }

    private static StackGuest guest(String disk) {
        StackGuest g = StackGuest.create("liveit", disk, 32);
        created.add(g);
        return g;
    }

    // ---- the plain runs

    @Test
    void aRunningQcow2GuestIsSnapshottedLiveIntoCompressedQcow2() throws Exception {
        try (ScratchDir dir = openScratch()) {
            String pathBefore = guests.rootDisk(qcow2.uuid()).path();
            LiveSnapshotRequest request = request(qcow2, dir, DiskFormat.QCOW2, true, QuiescePolicy.NONE);
            assertTrue(request.backing().isPresent(), "a qcow2 overlay's delta gets its backing file");
            long started = System.nanoTime();
            LiveSnapshotResult result = live.snapshot(request, MirrorProgress.NONE);
            System.out.printf("live snapshot of a running 32 MiB qcow2 guest (compressed qcow2 out): %d ms "
                            + "(mirror %d ms, %d bytes; convert %d ms)%n", (System.nanoTime() - started) / 1_000_000,
                    result.mirrorTime().toMillis(), result.mirrorBytes(), result.convertTime().toMillis());
            assertEquals(request.output(), result.output());
            assertFalse(result.quiesced());
            ImageInfo out = qemuImg.info(DiskSource.file(result.output()), Optional.of(DiskFormat.QCOW2));
            assertEquals(Optional.empty(), out.backingFile(), "the image stands alone");
            assertEquals(qcow2.sha256(), rawSha256(result.output(), DiskFormat.QCOW2, dir));
            assertUntouched(qcow2, PowerState.RUNNING, dir);
            assertEquals(pathBefore, guests.rootDisk(qcow2.uuid()).path(), "the guest still runs on its own disk: no pivot");
        }
    }

    @Test
    void aRunningRawGuestIsSnapshottedLiveIntoRaw() throws Exception {
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(raw, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            assertEquals(Optional.empty(), request.backing());
            long started = System.nanoTime();
            LiveSnapshotResult result = live.snapshot(request, MirrorProgress.NONE);
            System.out.printf("live snapshot of a running 32 MiB raw guest (raw out): %d ms (mirror %d ms, convert %d ms)%n",
                    (System.nanoTime() - started) / 1_000_000, result.mirrorTime().toMillis(), result.convertTime().toMillis());
            assertEquals(raw.sizeBytes(), result.mirrorBytes());
            assertEquals(raw.sha256(), sha256(result.output()));
            assertUntouched(raw, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aPausedGuestIsSnapshottedLiveAndStaysPaused() throws Exception {
        TestLibvirt.pause(libvirt, raw.uuid());
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(raw, dir, DiskFormat.QCOW2, false, QuiescePolicy.NONE);
            assertTrue(LiveSnapshotDecision.decide(libvirt.hypervisorType(), request.disk().backend(), false,
                    guests.powerState(raw.uuid())).live());
            LiveSnapshotResult result = live.snapshot(request, MirrorProgress.NONE);
            assertEquals(raw.sha256(), rawSha256(result.output(), DiskFormat.QCOW2, dir));
            assertUntouched(raw, PowerState.PAUSED, dir);
        } finally {
            TestLibvirt.unpause(libvirt, raw.uuid());
        }
    }

    @Test
    void theRebaseFallbackUndefinesTheDomainAndDefinesItAgain() throws Exception {
        LiveSnapshot rebase = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS,
                Optional.of(MirrorMethod.BLOCK_REBASE));
        try (ScratchDir dir = openScratch()) {
            AtomicReference<String> persistentDuringCopy = new AtomicReference<>();
            LiveSnapshotResult result = rebase.snapshot(request(qcow2, dir, DiskFormat.RAW, false, QuiescePolicy.NONE),
                    (copied, total) -> persistentDuringCopy.compareAndSet(null, persistent(qcow2)));
            assertEquals("no", persistentDuringCopy.get(), "libvirt copies with blockRebase only on a transient domain");
            assertEquals(qcow2.sha256(), sha256(result.output()));
            assertUntouched(qcow2, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aJobLeftOnTheDiskIsAbortedFirst() throws Exception {
        try (ScratchDir dir = openScratch()) {
            Path leftover = dir.resolve("leftover.qcow2");
            qemuImg.create(leftover, DiskFormat.QCOW2, raw.sizeBytes(), Optional.empty());
            Path xml = dir.resolve("leftover.xml");
            Files.writeString(xml, BlockJobs.copyDestination(leftover.toString()));
            virsh("blockcopy", raw.uuid().toString(), "vda", "--xml", xml.toString(), "--shallow", "--reuse-external",
                    "--transient-job", "--bandwidth", "1");
            assertFalse(virsh("blockjob", raw.uuid().toString(), "vda", "--info").contains("No current block job"));
            Files.delete(xml);

            LiveSnapshotResult result = live.snapshot(request(raw, dir, DiskFormat.RAW, false, QuiescePolicy.NONE),
                    MirrorProgress.NONE);
            assertEquals(raw.sha256(), sha256(result.output()));
            Files.delete(leftover);
            Files.delete(result.output());
            assertUntouched(raw, PowerState.RUNNING, dir);
        }
    }

    // ---- point in time

    @Test
    void theSnapshotIsTheDiskAtTheMomentTheMirrorStops() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slow = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW));
        try (ScratchDir dir = openScratch()) {
            Path source = Path.of(guests.rootDisk(g.uuid()).path());
            // the guest halts in its boot sector and never writes, so -U reads a stable disk
            byte[] expected = readRawForceShare(source, dir);
            assertEquals(g.sha256(), hex(sha256(expected)));

            // written through the guest's own virtio device while the copy is still under way
            AtomicLong copiedAtWrite = new AtomicLong(-1);
            AtomicLong totalAtWrite = new AtomicLong(-1);
            LiveSnapshotResult first = slow.snapshot(request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE),
                    (copied, total) -> {
                        if (copiedAtWrite.get() < 0) {
                            copiedAtWrite.set(copied);
                            totalAtWrite.set(total);
                            guestWrite(g, 0x5a, 1 << 20, 64 << 10);
                            guestWrite(g, 0x5b, 30 << 20, 64 << 10);
                        }
                    });
            assertTrue(copiedAtWrite.get() < totalAtWrite.get(), "the writes happened before the mirror was in sync: "
                    + copiedAtWrite.get() + " of " + totalAtWrite.get());
            patch(expected, 0x5a, 1 << 20, 64 << 10);
            patch(expected, 0x5b, 30 << 20, 64 << 10);
            byte[] firstBytes = Files.readAllBytes(first.output());
            assertEquals(hex(sha256(expected)), hex(sha256(firstBytes)), "writes made during the copy are in the snapshot");

            // after the snapshot returned: the first image must not change, the next one has it
            guestWrite(g, 0xa5, 2 << 20, 64 << 10);
            assertArrayEquals(firstBytes, Files.readAllBytes(first.output()));
            Path secondOut = dir.resolve("second");
            LiveSnapshotResult second = live.snapshot(LiveSnapshotRequest.of(g.uuid(), guests.rootDisk(g.uuid()),
                    qemuImg.info(DiskSource.file(source), Optional.of(DiskFormat.QCOW2)), secondOut, DiskFormat.RAW,
                    convertOptions(dir, false), QuiescePolicy.NONE), MirrorProgress.NONE);
            patch(expected, 0xa5, 2 << 20, 64 << 10);
            assertEquals(hex(sha256(expected)), sha256(second.output()));
            assertEquals(hex(sha256(expected)), hex(sha256(readRawForceShare(source, dir))),
                    "and the guest's own disk holds the same: the snapshot never pivoted it");
            assertUntouched(g, PowerState.RUNNING, dir);
        }
    }

    // ---- failures

    @Test
    void aGuestDestroyedDuringTheMirrorIsACleanError() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slow = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW));
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            HypervisorException e = assertThrows(HypervisorException.class, () -> slow.snapshot(request, (copied, total) -> {
                if (copied < total) {
                    destroy(g);
                }
            }));
            assertEquals(HypervisorException.INSTANCE_NOT_RUNNING, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains(g.uuid().toString()), e.getMessage());
            assertEquals(List.of(), filesIn(dir), "no delta, no partial output");
            assertEquals(PowerState.SHUTDOWN, guests.powerState(g.uuid()));
            assertEquals("yes", persistent(g));
            // the disk itself is as it was (readable without -U now that nothing holds it)
            assertEquals(g.sha256(), rawSha256(Path.of(request.disk().path()), DiskFormat.QCOW2, dir));

            HypervisorException again = assertThrows(HypervisorException.class, () -> live.snapshot(request, MirrorProgress.NONE));
            assertEquals(HypervisorException.INSTANCE_NOT_RUNNING, again.code(), "a shut-off guest has no QEMU to copy");
            assertEquals(List.of(), filesIn(dir));

            virsh("start", g.uuid().toString());
            assertUntouched(g, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aGuestDestroyedWhileARebaseHasItUndefinedIsDefinedAgain() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slowRebase = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW),
                Optional.of(MirrorMethod.BLOCK_REBASE));
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            HypervisorException e = assertThrows(HypervisorException.class, () -> slowRebase.snapshot(request, (copied, total) -> {
                if (copied < total) {
                    destroy(g); // transient now: the domain is gone altogether
                }
            }));
            assertEquals(HypervisorException.INSTANCE_NOT_FOUND, e.code(), e.getMessage());
            assertEquals(List.of(), filesIn(dir), "no delta, no saved configuration");
            assertEquals(PowerState.SHUTDOWN, guests.powerState(g.uuid()), "defined again from the saved configuration");
            assertEquals("yes", persistent(g));
            virsh("start", g.uuid().toString());
            assertUntouched(g, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aCancelledSnapshotCleansUpBeforeItReturns() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slow = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW));
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            CountDownLatch copying = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            runner.execute(() -> {
                try {
                    slow.snapshot(request, (copied, total) -> copying.countDown());
                } catch (Throwable t) {
                    outcome.set(t);
                } finally {
                    done.countDown();
                }
            });
            assertTrue(copying.await(60, TimeUnit.SECONDS));
            runner.shutdownNow(); // interrupts the poll's sleep, as a cancelled task would
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, outcome.get());
            assertEquals(List.of(), filesIn(dir));
            assertUntouched(g, PowerState.RUNNING, dir);
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void aDiskThatIsNoFileIsRefused() throws Exception {
        try (ScratchDir dir = openScratch()) {
            GuestDisk rbd = new GuestDisk(DiskBackend.RBD, "rbd:vms/" + qcow2.uuid() + "_disk", "raw", "vda",
                    Optional.of(new GuestDisk.RbdImageName("vms", qcow2.uuid() + "_disk", Optional.empty())));
            LiveSnapshotRequest request = new LiveSnapshotRequest(qcow2.uuid(), rbd, DiskFormat.RAW, qcow2.sizeBytes(),
                    Optional.empty(), dir.resolve("out"), DiskFormat.RAW, convertOptions(dir, false), QuiescePolicy.NONE);
            HypervisorException e = assertThrows(HypervisorException.class, () -> live.snapshot(request, MirrorProgress.NONE));
            assertEquals(HypervisorException.UNSUPPORTED_DISK, e.code());
            assertEquals(List.of(), filesIn(dir));
            assertUntouched(qcow2, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aRequiredQuiesceWithoutAGuestAgentFailsBeforeAnythingChanges() throws Exception {
        try (ScratchDir dir = openScratch()) {
            String xmlBefore = virsh("dumpxml", qcow2.uuid().toString());
            for (QuiescePolicy policy : List.of(new QuiescePolicy(false, true), new QuiescePolicy(true, true))) {
                HypervisorException e = assertThrows(HypervisorException.class,
                        () -> live.snapshot(request(qcow2, dir, DiskFormat.RAW, false, policy), MirrorProgress.NONE));
                assertEquals(HypervisorException.QUIESCE_FAILED, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
                assertEquals(List.of(), filesIn(dir), "not even the delta was created");
                assertEquals(xmlBefore, virsh("dumpxml", qcow2.uuid().toString()));
                assertUntouched(qcow2, PowerState.RUNNING, dir);
            }
            // the agent channel is there but no agent answers in these guests
            HypervisorException noAgent = assertThrows(HypervisorException.class, () -> live.snapshot(
                    request(qcow2, dir, DiskFormat.RAW, false, new QuiescePolicy(true, true)), MirrorProgress.NONE));
            assertTrue(noAgent.getMessage().contains("guest agent does not answer"), noAgent.getMessage());
        }
    }

    @Test
    void aFreezeThatFailsIsSkippedWhenQuiesceIsNotRequired() throws Exception {
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotResult result = live.snapshot(request(raw, dir, DiskFormat.RAW, false, new QuiescePolicy(true, false)),
                    MirrorProgress.NONE);
            assertFalse(result.quiesced());
            assertEquals(raw.sha256(), sha256(result.output()));
            assertUntouched(raw, PowerState.RUNNING, dir);
        }
    }

    @Test
    void aLibvirtdRestartDuringTheMirrorIsRiddenOut() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slow = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW));
        try (ScratchDir dir = openScratch()) {
            AtomicLong restartedAt = new AtomicLong(-1);
            LiveSnapshotResult result = slow.snapshot(request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE),
                    (copied, total) -> {
                        if (restartedAt.get() < 0 && copied < total) {
                            restartedAt.set(copied);
                            LocalStack.run("stop", "libvirtd");
                            LocalStack.run("up");
                        }
                    });
            assertTrue(restartedAt.get() >= 0, "libvirtd was restarted during the copy");
            // the job lives in QEMU; the restarted libvirtd finds it again and the poll goes on
            assertEquals(g.sha256(), sha256(result.output()));
            assertUntouched(g, PowerState.RUNNING, dir);
        }
    }

    @Test
    void libvirtdAwayForLongerThanTheGraceFailsAndTheLeftJobIsCleanedUpAfter() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot impatient = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW)
                .withReconnectGrace(Duration.ofSeconds(2)));
        try (ScratchDir dir = openScratch()) {
            HypervisorException e;
            try {
                e = assertThrows(HypervisorException.class, () -> impatient.snapshot(
                        request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE), (copied, total) -> {
                            if (copied < total) {
                                LocalStack.run("stop", "libvirtd");
                            }
                        }));
            } finally {
                LocalStack.run("up");
            }
            assertEquals(HypervisorException.LIBVIRT_UNAVAILABLE, e.code(), e.getMessage());
            assertTrue(Stream.of(e.getSuppressed()).anyMatch(s -> s instanceof HypervisorException h
                    && HypervisorException.LIBVIRT_UNAVAILABLE.equals(h.code())), "the abort failed too, and says so");
            assertEquals(List.of(), filesIn(dir), "the delta is deleted anyway");
            // what is left: the copy, which QEMU kept running and the new libvirtd still knows
            assertFalse(virsh("blockjob", g.uuid().toString(), "vda", "--info").contains("No current block job"));

            LiveSnapshotCleanup cleanup = live.cleanupAfterCrash(g.uuid(), dir.path());
            assertEquals(List.of("vda"), cleanup.abortedJobs());
            assertFalse(cleanup.redefined());
            assertUntouched(g, PowerState.RUNNING, dir);
            assertTrue(live.cleanupAfterCrash(g.uuid(), dir.path()).nothingFound(), "a second run finds nothing");
        }
    }

    @Test
    void whatACrashedAgentLeftIsCleanedUpAndTheStalledRunFailsCleanly() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slow = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW));
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            CountDownLatch copying = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // the first agent stalls mid-copy, as good as dead for libvirt
            Future<LiveSnapshotResult> stalled = runner.submit(() -> slow.snapshot(request, (copied, total) -> {
                copying.countDown();
                await(release);
            }));
            assertTrue(copying.await(60, TimeUnit.SECONDS));
            HypervisorException busy = assertThrows(HypervisorException.class, () -> slow.snapshot(request, MirrorProgress.NONE));
            assertEquals(HypervisorException.INSTANCE_BUSY, busy.code());
            assertTrue(Files.exists(request.delta()), "the first run is still under way");

            // a new agent, its own connection, recovers
            LibvirtConnection other = new LibvirtConnection(libvirt.uri());
            try {
                LiveSnapshotCleanup cleanup = new LiveSnapshot(other, qemuImg, LiveSnapshotSettings.DEFAULTS)
                        .cleanupAfterCrash(g.uuid(), dir.path());
                assertEquals(List.of("vda"), cleanup.abortedJobs());
                assertEquals(List.of(request.delta()), cleanup.deletedFiles());
                assertFalse(cleanup.redefined());
            } finally {
                other.close();
            }
            assertUntouched(g, PowerState.RUNNING, dir);

            release.countDown();
            ExecutionException failed = assertThrows(ExecutionException.class, () -> stalled.get(60, TimeUnit.SECONDS));
            HypervisorException e = assertInstanceOf(HypervisorException.class, failed.getCause());
            assertEquals(HypervisorException.BLOCK_JOB_FAILED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("disappeared"), e.getMessage());
            assertUntouched(g, PowerState.RUNNING, dir);
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void aCrashWhileARebaseHasTheDomainUndefinedIsRepairedFromTheSavedConfiguration() throws Exception {
        StackGuest g = guest("qcow2");
        LiveSnapshot slowRebase = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS.withBandwidth(SLOW),
                Optional.of(MirrorMethod.BLOCK_REBASE));
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (ScratchDir dir = openScratch()) {
            LiveSnapshotRequest request = request(g, dir, DiskFormat.RAW, false, QuiescePolicy.NONE);
            CountDownLatch copying = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<LiveSnapshotResult> stalled = runner.submit(() -> slowRebase.snapshot(request, (copied, total) -> {
                copying.countDown();
                await(release);
            }));
            assertTrue(copying.await(60, TimeUnit.SECONDS));
            assertEquals("no", persistent(g), "undefined for the copy");
            assertTrue(Files.exists(LiveSnapshot.savedDomainOf(request.output())));

            LiveSnapshotCleanup cleanup = new LiveSnapshot(libvirt, qemuImg, LiveSnapshotSettings.DEFAULTS)
                    .cleanupAfterCrash(g.uuid(), dir.path());
            assertEquals(List.of("vda"), cleanup.abortedJobs());
            assertTrue(cleanup.redefined());
            assertEquals("yes", persistent(g));
            assertUntouched(g, PowerState.RUNNING, dir);

            release.countDown();
            ExecutionException failed = assertThrows(ExecutionException.class, () -> stalled.get(60, TimeUnit.SECONDS));
            assertEquals(HypervisorException.BLOCK_JOB_FAILED, assertInstanceOf(HypervisorException.class, failed.getCause()).code());
            assertUntouched(g, PowerState.RUNNING, dir);
        } finally {
            runner.shutdownNow();
        }
    }

    // ---- helpers

    private static ScratchDir openScratch() throws Exception {
        ScratchDir dir = scratch.open(UUID.randomUUID());
        dir.allowHypervisorTraversal();
        return dir;
    }

    private static ConvertOptions convertOptions(ScratchDir dir, boolean compress) {
        ConvertOptions options = ConvertOptions.of(CacheMode.forDirectory(dir.path()), CONVERT_TIMEOUT);
        return compress ? options.compressed() : options;
    }

    private static LiveSnapshotRequest request(StackGuest g, ScratchDir dir, DiskFormat outputFormat, boolean compress,
                                               QuiescePolicy quiesce) throws Exception {
        GuestDisk disk = guests.rootDisk(g.uuid());
        ImageInfo info = qemuImg.info(DiskSource.file(Path.of(disk.path())), Optional.of(DiskFormat.of(disk.format())));
        return LiveSnapshotRequest.of(g.uuid(), disk, info, dir.resolve(UUID.randomUUID().toString().replace("-", "")),
                outputFormat, convertOptions(dir, compress), quiesce);
    }

    /** No block job, the domain persistent and in {@code state}, no mirror in its XML, no delta in {@code dir}. */
    private static void assertUntouched(StackGuest g, PowerState state, ScratchDir dir) throws Exception {
        assertEquals(state, guests.powerState(g.uuid()));
        assertEquals("yes", persistent(g));
        if (state != PowerState.SHUTDOWN) {
            assertTrue(virsh("blockjob", g.uuid().toString(), "vda", "--info").contains("No current block job for vda"));
        }
        assertFalse(virsh("dumpxml", g.uuid().toString()).contains("<mirror"));
        try (Stream<Path> files = Files.list(dir.path())) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(LiveSnapshot.DELTA_SUFFIX)
                    || f.toString().endsWith(LiveSnapshot.SAVED_DOMAIN_SUFFIX)).toList());
        }
    }

    private static List<Path> filesIn(ScratchDir dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.path())) {
            return files.filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    private static String persistent(StackGuest g) {
        for (String line : virsh("dominfo", g.uuid().toString()).split("\n")) {
            if (line.startsWith("Persistent:")) {
                return line.substring("Persistent:".length()).strip();
            }
        }
        throw new AssertionError("virsh dominfo printed no Persistent line");
    }

    private static void destroy(StackGuest g) {
        virsh("destroy", g.uuid().toString());
    }

    /** A write through the guest's virtio disk, as the guest itself would make it (QEMU's HMP qemu-io). */
    private static void guestWrite(StackGuest g, int pattern, long offset, int length) {
        String out = virsh("qemu-monitor-command", g.uuid().toString(), "--hmp",
                "qemu-io -d " + DISK_QDEV + " \"write -P " + pattern + " " + offset + " " + length + "\"");
        assertFalse(out.toLowerCase().contains("error"), out);
    }

    private static void patch(byte[] disk, int pattern, int offset, int length) {
        Arrays.fill(disk, offset, offset + length, (byte) pattern);
    }

    private static byte[] readRawForceShare(Path qcow2Disk, ScratchDir dir) throws Exception {
        Path out = dir.resolve("reference-" + UUID.randomUUID());
        run(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", qcow2Disk.toString(), out.toString()));
        try {
            return Files.readAllBytes(out);
        } finally {
            Files.delete(out);
        }
    }

    private static String rawSha256(Path image, DiskFormat format, ScratchDir dir) throws Exception {
        if (format == DiskFormat.RAW) {
            return sha256(image);
        }
        Path out = dir.resolve("check-" + UUID.randomUUID());
        run(List.of("qemu-img", "convert", "-f", format.qemuName(), "-O", "raw", image.toString(), out.toString()));
        try {
            return sha256(out);
        } finally {
            Files.delete(out);
        }
    }

    private static String virsh(String... args) {
        List<String> command = new ArrayList<>(List.of("virsh", "-c", stack.get("snapshot.libvirt.uri")));
        command.addAll(List.of(args));
        return run(command);
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish");
            }
            if (p.exitValue() != 0 && !(command.contains("blockjob") && out.contains("No current block job"))) {
                throw new AssertionError(command + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return hex(sha256(Files.readAllBytes(file)));
    }

    private static byte[] sha256(byte[] data) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
