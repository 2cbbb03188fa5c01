package io.snapshotagent.hypervisor;

import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.qemu.CacheMode;
import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.DiskSource;
import io.snapshotagent.qemu.QemuImg;
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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack's two layouts that cannot be nova's own here: an lvm guest on a loop device (no
 * device-mapper on these machines) and a ploop guest (a directory with root.hds, defined but never
 * started). The agent's disk lookup must classify them as nova does, and the extract nova's
 * {@code snapshot_extract} makes of each (raw from the device; parallels from root.hds) must be
 * the guest tool's recorded bytes.
 */
class LvmPloopGuestsIT {

    private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(2);

    private static Path state;
    private static StackGuest lvm;
    private static StackGuest ploop;
    private static LibvirtConnection libvirt;
    private static Guests guests;
    private static QemuImg qemuImg;

    @TempDir
    Path temp;

    @BeforeAll
    static void guests() {
        Map<String, String> stack = LocalStack.upAndProperties();
        state = Path.of(stack.get("snapshot.libvirt.snapshots-directory")).getParent();
        libvirt = new LibvirtConnection(stack.get("snapshot.libvirt.uri"));
        guests = new Guests(libvirt);
        qemuImg = new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT);
        lvm = StackGuest.create("gstit", "lvm", 16);
        ploop = StackGuest.create("gstit", "ploop", 16);
    }

    @AfterAll
    static void destroy() throws IOException {
        Path lvmFile = lvm == null ? null : state.resolve("lvm").resolve(lvm.uuid() + "_disk");
        for (StackGuest g : new StackGuest[] {lvm, ploop}) {
            if (g != null) {
                g.close();
            }
        }
        if (libvirt != null) {
            libvirt.close();
        }
        if (lvmFile != null) {
            assertFalse(Files.exists(lvmFile), "guest destroy removes the lvm backing file");
            assertEquals("", loopsOver(lvmFile), "guest destroy detaches the loop device");
        }
    }

    @Test
    void anLvmGuestsDiskIsItsOwnLoopDeviceAndLvm() throws HypervisorException, IOException {
        GuestDisk disk = guests.rootDisk(lvm.uuid());
        assertEquals(DiskBackend.LVM, disk.backend());
        assertTrue(disk.path().matches("/dev/loop[0-9]+"), disk.path());
        assertEquals("raw", disk.format());
        assertEquals("vda", disk.targetDev());
        assertEquals(PowerState.RUNNING, guests.powerState(lvm.uuid()));
        // the device is the one over this guest's file, not whatever loop device has that number
        String backing = Files.readString(Path.of("/sys/block", Path.of(disk.path()).getFileName().toString(),
                "loop", "backing_file")).strip();
        assertEquals(state.resolve("lvm").resolve(lvm.uuid() + "_disk").toString(), backing);
    }

    @Test
    void anLvmGuestSavedForASnapshotReadsBackAsRecorded() throws Exception {
        GuestDisk disk = guests.rootDisk(lvm.uuid());
        Path out = temp.resolve("lvm.raw");
        // nova never snapshots lvm live: the guest is saved, as the agent's cold path does
        try (SuspendedGuest saved = guests.suspendForSnapshot(lvm.uuid())) {
            assertTrue(saved.saved());
            assertEquals(PowerState.SHUTDOWN, guests.powerState(lvm.uuid()));
            qemuImg.convert(DiskSource.file(Path.of(disk.path())), DiskFormat.RAW, out, DiskFormat.RAW, options());
        }
        assertEquals(PowerState.RUNNING, guests.powerState(lvm.uuid()));
        assertEquals(lvm.sizeBytes(), Files.size(out));
        assertEquals(lvm.sha256(), sha256(out));
    }

    @Test
    void aPloopGuestsDiskIsTheDirectoryAndPloop() throws HypervisorException {
        GuestDisk disk = guests.rootDisk(ploop.uuid());
        assertEquals(DiskBackend.PLOOP, disk.backend());
        assertEquals(state.resolve("instances").resolve(ploop.uuid().toString()).resolve("disk").toString(), disk.path());
        assertEquals("ploop", disk.format(), "libvirt's name for qemu's parallels format");
        assertEquals("vda", disk.targetDev());
        Path dir = Path.of(disk.path());
        assertTrue(Files.isDirectory(dir));
        assertTrue(Files.isRegularFile(dir.resolve("DiskDescriptor.xml")));
        assertTrue(Files.isRegularFile(dir.resolve("root.hds")));
    }

    @Test
    void aPloopGuestReadsBackAsRecordedThroughRootHds() throws Exception {
        GuestDisk disk = guests.rootDisk(ploop.uuid());
        assertEquals(PowerState.SHUTDOWN, guests.powerState(ploop.uuid()));
        Path out = temp.resolve("ploop.raw");
        try (SuspendedGuest s = guests.suspendForSnapshot(ploop.uuid())) {
            assertFalse(s.saved(), "a shut-off guest is not saved");
            // nova's Ploop.snapshot_extract: <disk>/root.hds, read as parallels
            qemuImg.convert(DiskSource.file(Path.of(disk.path()).resolve("root.hds")), DiskFormat.of(disk.format()),
                    out, DiskFormat.RAW, options());
        }
        assertEquals(ploop.sizeBytes(), Files.size(out));
        assertEquals(ploop.sha256(), sha256(out));
    }

    @Test
    void qemuCannotRunAPloopGuestsDirectory() throws HypervisorException {
        // why the stack never starts it: libvirt hands QEMU the directory as a file
        HypervisorException e = assertThrows(HypervisorException.class, () -> libvirt.withDomain(ploop.uuid(), "start",
                d -> d.create()));
        assertEquals(HypervisorException.LIBVIRT_ERROR, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(ploop.uuid() + "/disk"), e.getMessage());
        assertEquals(PowerState.SHUTDOWN, guests.powerState(ploop.uuid()));
    }

    private ConvertOptions options() {
        return ConvertOptions.of(CacheMode.forDirectory(temp), CONVERT_TIMEOUT);
    }

    /** The loop devices whose backing file is {@code file} (the kernel adds " (deleted)" once it is removed). */
    private static String loopsOver(Path file) throws IOException {
        StringBuilder found = new StringBuilder();
        try (var devices = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path device : devices) {
                Path backing = device.resolve("loop").resolve("backing_file");
                if (Files.isReadable(backing) && Files.readString(backing).strip().startsWith(file.toString())) {
                    found.append(device.getFileName()).append(' ');
                }
            }
        }
        return found.toString().strip();
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
}
