package io.snapshotagent.qemu;

import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.hypervisor.Guests;
import io.snapshotagent.hypervisor.LibvirtConnection;
import io.snapshotagent.hypervisor.PowerState;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.hypervisor.SuspendedGuest;
import io.snapshotagent.hypervisor.TestLibvirt;
import io.snapshotagent.it.support.LocalStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real qemu-img (with its rbd driver) against the local stack's guests and Ceph: the cold
 * extract nova's fallback path does, checked byte for byte against the guest tool's SHA-256.
 */
class QemuImgIT {

    private static final Duration MINUTES = Duration.ofMinutes(2);

    private static Map<String, String> stack;
    private static StackGuest rbd;
    private static StackGuest qcow2;
    private static LibvirtConnection libvirt;
    private static Guests guests;
    private static QemuImg qemuImg;
    private static ScratchDirectories scratch;

    @TempDir
    Path temp;

    @BeforeAll
    static void setUp() {
        stack = LocalStack.upAndProperties();
        rbd = StackGuest.create("hostit", "rbd", 16);
        qcow2 = StackGuest.create("hostit", "qcow2", 16);
        libvirt = TestLibvirt.connect(stack.get("snapshot.libvirt.uri"));
        guests = new Guests(libvirt);
        qemuImg = new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT);
        scratch = new ScratchDirectories(Path.of(stack.get("snapshot.libvirt.snapshots-directory")),
                ScratchDirectories.UsableSpace.FILE_STORE);
    }

    @AfterAll
    static void tearDown() {
        for (StackGuest g : new StackGuest[] {rbd, qcow2}) {
            if (g != null) {
                g.close();
            }
        }
        if (libvirt != null) {
            TestLibvirt.close(libvirt);
        }
    }

    private static DiskSource rbdSource(GuestDisk disk) {
        GuestDisk.RbdImageName name = disk.rbd().orElseThrow();
        return DiskSource.rbd(name.pool(), name.image(), stack.get("snapshot.rbd.user"),
                Path.of(stack.get("snapshot.rbd.ceph-conf")));
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** qemu-img processes whose command line names {@code path}. */
    private static List<ProcessHandle> qemuImgProcessesFor(Path path) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-img") && c.contains(path.toString())).orElse(false))
                .toList();
    }

    private static ProcessHandle awaitQemuImg(Path target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> found = qemuImgProcessesFor(target);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no qemu-img process for " + target + " appeared");
    }

    @Test
    void anRbdGuestsDiskExtractedColdEqualsWhatTheGuestSees() throws Exception {
        GuestDisk disk = guests.rootDisk(rbd.uuid());
        DiskSource source = rbdSource(disk);
        ImageInfo info = qemuImg.info(source, Optional.of(DiskFormat.RAW));
        assertEquals(rbd.sizeBytes(), info.virtualSize());
        assertEquals(OptionalLong.empty(), info.actualSize(), "qemu's rbd driver reports no allocation");
        UUID task = UUID.randomUUID();
        Path extracted;
        List<Double> progress = new CopyOnWriteArrayList<>();
        try (ScratchDir dir = scratch.open(task)) {
            long required = qemuImg.extractBytes(source, DiskFormat.RAW);
            assertEquals(rbd.sizeBytes(), required);
            dir.ensureFreeSpace(required);
            extracted = dir.resolve(UUID.randomUUID().toString().replace("-", ""));
            CacheMode cache = CacheMode.forDirectory(dir.path());
            assertEquals(CacheMode.NONE, cache, "the stack's state directory is on ext4, which takes O_DIRECT");
            long started = System.nanoTime();
            try (SuspendedGuest saved = guests.suspendForSnapshot(rbd.uuid())) {
                assertTrue(saved.saved());
                long converting = System.nanoTime();
                qemuImg.convert(source, DiskFormat.RAW, extracted, DiskFormat.RAW,
                        ConvertOptions.of(cache, MINUTES).withProgress(progress::add));
                System.out.printf("rbd -> raw convert of %d MiB: %d ms%n", rbd.sizeMib(), (System.nanoTime() - converting) / 1_000_000);
            }
            System.out.printf("cold snapshot (save + convert + restore): %d ms%n", (System.nanoTime() - started) / 1_000_000);
            assertEquals(rbd.sha256(), sha256(extracted));
            assertEquals(rbd.sizeBytes(), Files.size(extracted));
        }
        assertFalse(Files.exists(extracted.getParent()), "the scratch directory goes with its contents");
        assertEquals(PowerState.RUNNING, guests.powerState(rbd.uuid()));
        assertFalse(progress.isEmpty(), "qemu-img -p reported nothing");
        assertEquals(100.0, progress.get(progress.size() - 1));
    }

    @Test
    void aQcow2GuestsDiskExtractedColdEqualsWhatTheGuestSees() throws Exception {
        GuestDisk disk = guests.rootDisk(qcow2.uuid());
        DiskSource source = DiskSource.file(Path.of(disk.path()));
        // -U reads the metadata while the guest runs and holds the image's lock
        List<ImageInfo> chain = qemuImg.backingChain(source, Optional.of(DiskFormat.QCOW2));
        assertEquals(2, chain.size());
        ImageInfo top = chain.get(0);
        assertEquals("qcow2", top.format());
        assertEquals(qcow2.sizeBytes(), top.virtualSize());
        assertTrue(top.backingFile().orElseThrow().endsWith("/instances/_base/" + qcow2.imageRef()), top.toString());
        assertEquals(Optional.of("raw"), top.backingFormat());
        long required = ImageInfo.extractBytes(chain);
        assertEquals(qcow2.sizeBytes(), required, "half in the overlay, all of the base: capped at the virtual size");

        try (ScratchDir dir = scratch.open(UUID.randomUUID())) {
            dir.ensureFreeSpace(required);
            Path raw = dir.resolve("raw");
            Path compressed = dir.resolve("compressed");
            CacheMode cache = CacheMode.forDirectory(dir.path());
            try (SuspendedGuest saved = guests.suspendForSnapshot(qcow2.uuid())) {
                assertTrue(saved.saved());
                qemuImg.convert(source, DiskFormat.QCOW2, raw, DiskFormat.RAW, ConvertOptions.of(cache, MINUTES));
                qemuImg.convert(source, DiskFormat.QCOW2, compressed, DiskFormat.QCOW2, ConvertOptions.of(cache, MINUTES).compressed());
            }
            assertEquals(qcow2.sha256(), sha256(raw));
            ImageInfo flat = qemuImg.info(DiskSource.file(compressed), Optional.of(DiskFormat.QCOW2));
            assertEquals(Optional.empty(), flat.backingFile(), "the snapshot stands alone");
            assertEquals(qcow2.sizeBytes(), flat.virtualSize());
            Path back = dir.resolve("back");
            qemuImg.convert(DiskSource.file(compressed), DiskFormat.QCOW2, back, DiskFormat.RAW, ConvertOptions.of(cache, MINUTES));
            assertEquals(qcow2.sha256(), sha256(back));
        }
        assertEquals(PowerState.RUNNING, guests.powerState(qcow2.uuid()));
    }

    @Test
    void aPausedGuestStillHoldsItsDisk() throws Exception {
        GuestDisk disk = guests.rootDisk(qcow2.uuid());
        TestLibvirt.pause(libvirt, qcow2.uuid());
        try (ScratchDir dir = scratch.open(UUID.randomUUID())) {
            QemuImgException e = assertThrows(QemuImgException.class, () -> qemuImg.convert(DiskSource.file(Path.of(disk.path())),
                    DiskFormat.QCOW2, dir.resolve("x"), DiskFormat.RAW, ConvertOptions.of(CacheMode.WRITEBACK, MINUTES)));
            assertEquals(QemuImgException.FAILED, e.code());
            assertTrue(e.stderrTail().contains("Failed to get shared \"write\" lock"), e.stderrTail());
        } finally {
            TestLibvirt.unpause(libvirt, qcow2.uuid());
        }
    }

    @Test
    void aMissingSourceIsQemuImgFailedWithItsStderr() throws Exception {
        Path missing = temp.resolve("no-such-disk");
        QemuImgException e = assertThrows(QemuImgException.class, () -> qemuImg.convert(DiskSource.file(missing),
                DiskFormat.RAW, temp.resolve("out"), DiskFormat.RAW, ConvertOptions.of(CacheMode.WRITEBACK, MINUTES)));
        assertEquals(QemuImgException.FAILED, e.code());
        assertEquals(1, e.exitCode().orElseThrow());
        assertTrue(e.stderrTail().contains("No such file or directory"), e.stderrTail());
        assertTrue(e.getMessage().contains(e.stderrTail()), e.getMessage());
        assertTrue(e.command().startsWith("/usr/bin/qemu-img convert -t writeback -O raw -f raw " + missing), e.command());
        assertFalse(Files.exists(temp.resolve("out")));
    }

    @Test
    void aMissingRbdImageIsQemuImgFailedWithItsStderr() {
        DiskSource missing = DiskSource.rbd("vms", "no-such-image", stack.get("snapshot.rbd.user"),
                Path.of(stack.get("snapshot.rbd.ceph-conf")));
        QemuImgException e = assertThrows(QemuImgException.class, () -> qemuImg.info(missing, Optional.of(DiskFormat.RAW)));
        assertEquals(QemuImgException.FAILED, e.code());
        assertTrue(e.stderrTail().contains("no-such-image"), e.stderrTail());
        assertTrue(e.command().contains("rbd:vms/no-such-image:id=nova:conf="), e.command());
    }

    @Test
    void cancellingAConvertKillsQemuImgAndTheScratchDirectoryGoes() throws Exception {
        // a FIFO nobody writes: qemu-img blocks opening it, like a read from a hung device
        Path fifo = temp.resolve("hung-disk");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        UUID task = UUID.randomUUID();
        Path dirPath = scratch.root().resolve(ScratchDirectories.PREFIX + task);
        Path target = dirPath.resolve("extract");
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        CountDownLatch ended = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> running = pool.submit(() -> {
                try (ScratchDir dir = scratch.open(task)) {
                    Files.writeString(dir.resolve("delta"), "something already written");
                    qemuImg.convert(DiskSource.file(fifo), DiskFormat.RAW, target, DiskFormat.RAW,
                            ConvertOptions.of(CacheMode.WRITEBACK, Duration.ofMinutes(10)));
                } catch (Throwable t) {
                    outcome.set(t);
                } finally {
                    ended.countDown();
                }
                return null;
            });
            ProcessHandle process = awaitQemuImg(target);
            assertTrue(Files.isDirectory(dirPath));
            long cancelled = System.nanoTime();
            running.cancel(true);
            assertTrue(ended.await(30, TimeUnit.SECONDS), "the convert did not return after the interrupt");
            System.out.printf("cancel to return: %d ms%n", (System.nanoTime() - cancelled) / 1_000_000);
            assertInstanceOf(InterruptedException.class, outcome.get());
            assertFalse(process.isAlive(), "qemu-img pid " + process.pid() + " survived");
            assertEquals(List.of(), qemuImgProcessesFor(target));
            assertFalse(Files.exists(dirPath), "the scratch directory was not removed");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aConvertThatRunsOutOfTimeIsKilled() throws Exception {
        // a cluster that is gone: librbd waits for a monitor that never answers
        Path deadConf = Files.writeString(temp.resolve("dead-ceph.conf"), Files.readString(Path.of(stack.get("snapshot.rbd.ceph-conf")))
                .replaceAll("(?m)^mon_host = .*$", "mon_host = 127.0.0.1:1"));
        DiskSource gone = DiskSource.rbd("vms", rbd.uuid() + "_disk", stack.get("snapshot.rbd.user"), deadConf);
        Path target = temp.resolve("timed-out");
        long started = System.nanoTime();
        QemuImgException e = assertThrows(QemuImgException.class, () -> qemuImg.convert(gone, DiskFormat.RAW, target,
                DiskFormat.RAW, ConvertOptions.of(CacheMode.WRITEBACK, Duration.ofSeconds(2))));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("timed-out convert returned after %d ms%n", tookMs);
        assertEquals(QemuImgException.TIMED_OUT, e.code());
        assertTrue(e.getMessage().contains("did not finish in PT2S and was killed"), e.getMessage());
        assertTrue(e.exitCode().isEmpty());
        assertTrue(tookMs >= 2000 && tookMs < 15_000, "took " + tookMs + " ms");
        assertEquals(List.of(), qemuImgProcessesFor(target));
    }

    @Test
    void aQcow2DeltaOnTheGuestsBackingFile() throws Exception {
        String base = qemuImg.info(DiskSource.file(Path.of(guests.rootDisk(qcow2.uuid()).path())), Optional.empty())
                .backingFile().orElseThrow();
        try (ScratchDir dir = scratch.open(UUID.randomUUID())) {
            Path delta = dir.resolve("0a1b.delta");
            qemuImg.create(delta, DiskFormat.QCOW2, qcow2.sizeBytes(), Optional.of(new QemuImg.Backing(Path.of(base), DiskFormat.RAW)));
            ImageInfo info = qemuImg.info(DiskSource.file(delta), Optional.of(DiskFormat.QCOW2));
            assertEquals("qcow2", info.format());
            assertEquals(qcow2.sizeBytes(), info.virtualSize());
            assertEquals(Optional.of(base), info.backingFile());
            assertEquals(Optional.of("raw"), info.backingFormat());
        }
    }

    /** Mounts a file system on a fresh directory, or skips the test (with why) where mounting is impossible. */
    private Path mount(String type, String options) throws IOException, InterruptedException {
        Path mountPoint = Files.createDirectory(temp.resolve(type + "-" + UUID.randomUUID()));
        Process mount = new ProcessBuilder("mount", "-t", type, "-o", options, type, mountPoint.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes()).strip();
        assumeTrue(mount.waitFor() == 0, "cannot mount " + type + " here (" + said + "); the unit tests still cover it"
                + " with an injected value");
        return mountPoint;
    }

    private static void unmount(Path mountPoint) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("umount", mountPoint.toString()).inheritIO().start().waitFor(),
                "umount " + mountPoint);
    }

    @Test
    void aTinyFileSystemFailsTheFreeSpaceCheckBeforeAnythingIsWritten() throws Exception {
        Path mountPoint = mount("tmpfs", "size=4m,mode=0755");
        try {
            ScratchDirectories tiny = new ScratchDirectories(mountPoint.resolve("snapshots"), ScratchDirectories.UsableSpace.FILE_STORE);
            DiskSource source = rbdSource(guests.rootDisk(rbd.uuid()));
            long required = qemuImg.extractBytes(source, DiskFormat.RAW);
            try (ScratchDir dir = tiny.open(UUID.randomUUID())) {
                ScratchSpaceException e = assertThrows(ScratchSpaceException.class, () -> dir.ensureFreeSpace(required));
                assertEquals(ScratchSpaceException.INSUFFICIENT_DISK_SPACE, e.code());
                assertEquals(OptionalLong.of(rbd.sizeBytes()), e.requiredBytes());
                assertTrue(e.usableBytes().orElseThrow() <= 4L * 1024 * 1024, e.getMessage());
                System.out.println(e.getMessage());
                // what the check saves us from: qemu-img fills the file system and fails half-way
                QemuImgException full = assertThrows(QemuImgException.class, () -> qemuImg.convert(source, DiskFormat.RAW,
                        dir.resolve("x"), DiskFormat.RAW, ConvertOptions.of(CacheMode.forDirectory(dir.path()), MINUTES)));
                assertTrue(full.stderrTail().contains("No space left on device"), full.stderrTail());
            }
            assertEquals(List.of(), tiny.leftovers());
        } finally {
            unmount(mountPoint);
        }
    }

    @Test
    void theCacheModeFollowsTheTargetsFileSystem() throws Exception {
        try (ScratchDir dir = scratch.open(UUID.randomUUID())) {
            assertEquals(CacheMode.NONE, CacheMode.forDirectory(dir.path()), "ext4 takes O_DIRECT");
            try (var left = Files.list(dir.path())) {
                assertEquals(0, left.count(), "the probe file is removed");
            }
        }
        // ramfs has no O_DIRECT (tmpfs has, since Linux 6.6)
        Path ramfs = mount("ramfs", "mode=0755");
        try {
            DiskSource source = rbdSource(guests.rootDisk(rbd.uuid()));
            assertEquals(CacheMode.WRITEBACK, CacheMode.forDirectory(ramfs));
            QemuImgException e = assertThrows(QemuImgException.class, () -> qemuImg.convert(source, DiskFormat.RAW,
                    ramfs.resolve("direct"), DiskFormat.RAW, ConvertOptions.of(CacheMode.NONE, MINUTES)));
            assertTrue(e.stderrTail().contains("filesystem does not support O_DIRECT"), e.stderrTail());
            qemuImg.convert(source, DiskFormat.RAW, ramfs.resolve("writeback"), DiskFormat.RAW,
                    ConvertOptions.of(CacheMode.forDirectory(ramfs), MINUTES));
            assertEquals(rbd.sizeBytes(), Files.size(ramfs.resolve("writeback")));
        } finally {
            unmount(ramfs);
        }
    }

    @Test
    void aCrashedTasksScratchDirectoryIsSwept() throws Exception {
        UUID task = UUID.randomUUID();
        ScratchDir abandoned = scratch.open(task);
        Files.writeString(abandoned.resolve("extract"), "half");
        ScratchDirectories afterRestart = new ScratchDirectories(scratch.root(), ScratchDirectories.UsableSpace.FILE_STORE);
        assertTrue(afterRestart.leftovers().contains(task));
        assertTrue(afterRestart.sweep(task));
        assertFalse(Files.exists(abandoned.path()));
    }

    /** Guards the test itself: it must see processes it did not start. */
    @Test
    void theProcessProbeSeesQemuImg() throws Exception {
        Path fifo = temp.resolve("probe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Process p = new ProcessBuilder(QemuImg.DEFAULT_EXECUTABLE.toString(), "info", fifo.toString()).start();
        try {
            assertEquals(p.pid(), awaitQemuImg(fifo).pid());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
