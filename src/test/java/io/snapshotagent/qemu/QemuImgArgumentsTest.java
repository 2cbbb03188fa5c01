package io.snapshotagent.qemu;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QemuImgArgumentsTest {

    private final QemuImg qemuImg = new QemuImg(Path.of("/usr/bin/qemu-img"), Duration.ofSeconds(30));
    private static final Path TARGET = Path.of("/var/lib/nova/instances/snapshots/snapshot-1/0a1b");
    private static final Duration HOUR = Duration.ofHours(1);

    @Test
    void convertAsNovaRunsIt() {
        List<String> args = qemuImg.convertArguments(DiskSource.file(Path.of("/i/disk")), DiskFormat.QCOW2, TARGET,
                DiskFormat.RAW, ConvertOptions.of(CacheMode.NONE, HOUR));
        assertEquals(List.of("/usr/bin/qemu-img", "convert", "-t", "none", "-O", "raw", "-f", "qcow2",
                "/i/disk", TARGET.toString()), args);
    }

    @Test
    void writebackCompressionAndProgress() {
        ConvertOptions options = ConvertOptions.of(CacheMode.WRITEBACK, HOUR).compressed().withProgress(p -> { });
        List<String> args = qemuImg.convertArguments(DiskSource.file(Path.of("/i/disk")), DiskFormat.RAW, TARGET,
                DiskFormat.QCOW2, options);
        assertEquals(List.of("/usr/bin/qemu-img", "convert", "-t", "writeback", "-O", "qcow2", "-f", "raw", "-c", "-p",
                "/i/disk", TARGET.toString()), args);
    }

    @Test
    void compressionIsForQcow2TargetsOnly() {
        ConvertOptions options = ConvertOptions.of(CacheMode.NONE, HOUR).compressed();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> qemuImg.convertArguments(
                DiskSource.file(Path.of("/i/disk")), DiskFormat.QCOW2, TARGET, DiskFormat.RAW, options));
        assertTrue(e.getMessage().contains("qcow2 targets only"), e.getMessage());
    }

    @Test
    void rbdSourceAsNovasRbdBackendWritesIt() {
        DiskSource rbd = DiskSource.rbd("vms", "3f0e_disk", "nova", Path.of("/etc/ceph/ceph.conf"));
        assertEquals("rbd:vms/3f0e_disk:id=nova:conf=/etc/ceph/ceph.conf", rbd.qemuFilename());
        assertEquals("rbd vms/3f0e_disk", rbd.describe());
        List<String> args = qemuImg.convertArguments(rbd, DiskFormat.RAW, TARGET, DiskFormat.RAW,
                ConvertOptions.of(CacheMode.NONE, HOUR));
        assertEquals("rbd:vms/3f0e_disk:id=nova:conf=/etc/ceph/ceph.conf", args.get(args.size() - 2));
    }

    @Test
    void rbdSeparatorsInValuesAreEscaped() {
        DiskSource rbd = DiskSource.rbd("vms", "odd:name", "nova", Path.of("/etc/ceph:x/ceph.conf"));
        assertEquals("rbd:vms/odd\\:name:id=nova:conf=/etc/ceph\\:x/ceph.conf", rbd.qemuFilename());
    }

    @Test
    void rbdNamesCannotCarryPathOrSnapshotSeparators() {
        Path conf = Path.of("/etc/ceph/ceph.conf");
        assertThrows(IllegalArgumentException.class, () -> DiskSource.rbd("vms/x", "img", "nova", conf));
        assertThrows(IllegalArgumentException.class, () -> DiskSource.rbd("vms", "img@snap", "nova", conf));
        assertThrows(IllegalArgumentException.class, () -> DiskSource.rbd("vms", "", "nova", conf));
        assertThrows(IllegalArgumentException.class, () -> DiskSource.rbd("vms", "img", "nova", Path.of("ceph.conf")));
    }

    @Test
    void relativePathsAreRefusedSoNoneReadsAsAnOption() {
        assertThrows(IllegalArgumentException.class, () -> DiskSource.file(Path.of("-o", "x")));
        assertThrows(IllegalArgumentException.class, () -> qemuImg.convertArguments(DiskSource.file(Path.of("/i/disk")),
                DiskFormat.RAW, Path.of("-x"), DiskFormat.RAW, ConvertOptions.of(CacheMode.NONE, HOUR)));
        assertThrows(IllegalArgumentException.class, () -> new QemuImg(Path.of("qemu-img"), HOUR));
    }

    @Test
    void infoForcesShareAndAsksForJson() {
        assertEquals(List.of("/usr/bin/qemu-img", "info", "-U", "--output=json", "/i/disk"),
                qemuImg.infoArguments(DiskSource.file(Path.of("/i/disk")), Optional.empty(), false));
        assertEquals(List.of("/usr/bin/qemu-img", "info", "-U", "--output=json", "--backing-chain", "-f", "qcow2", "/i/disk"),
                qemuImg.infoArguments(DiskSource.file(Path.of("/i/disk")), Optional.of(DiskFormat.QCOW2), true));
    }

    @Test
    void createAQcow2DeltaOnItsBackingFile() {
        assertEquals(List.of("/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-b", "/i/_base/155d", "-F", "raw",
                        "/s/snapshot-1/0a1b.delta", "16777216"),
                qemuImg.createArguments(Path.of("/s/snapshot-1/0a1b.delta"), DiskFormat.QCOW2, 16 * 1024 * 1024,
                        Optional.of(new QemuImg.Backing(Path.of("/i/_base/155d"), DiskFormat.RAW))));
        assertEquals(List.of("/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "/s/d", "1024"),
                qemuImg.createArguments(Path.of("/s/d"), DiskFormat.QCOW2, 1024, Optional.empty()));
        assertThrows(IllegalArgumentException.class,
                () -> qemuImg.createArguments(Path.of("/s/d"), DiskFormat.QCOW2, 0, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new QemuImg.Backing(Path.of("base"), DiskFormat.RAW));
    }

    @Test
    void theShownCommandMasksSecretsAndQuotes() {
        String shown = QemuImg.render(List.of("/usr/bin/qemu-img", "info", "rbd:vms/x:id=nova:key=AQBsecret==:conf=/c",
                "/path with space", "it's"));
        assertFalse(shown.contains("AQBsecret"), shown);
        assertEquals("/usr/bin/qemu-img info 'rbd:vms/x:id=nova:key=***:conf=/c' '/path with space' 'it'\\''s'", shown);
    }

    @Test
    void progressReadings() {
        assertEquals(OptionalDouble.of(0.0), QemuImg.parseProgress("    (0.00/100%)"));
        assertEquals(OptionalDouble.of(42.5), QemuImg.parseProgress("    (42.50/100%)"));
        assertEquals(OptionalDouble.of(100.0), QemuImg.parseProgress("(100.00/100%)"));
        assertEquals(OptionalDouble.empty(), QemuImg.parseProgress("qemu-img: warning"));
    }

    @Test
    void formatNamesAsNovaUsesThem() {
        assertEquals(DiskFormat.PARALLELS, DiskFormat.of("ploop"));
        assertEquals(DiskFormat.RAW, DiskFormat.of("iso"));
        assertEquals(DiskFormat.QCOW2, DiskFormat.of("QCOW2"));
        assertEquals(DiskFormat.VMDK, DiskFormat.of("vmdk"));
        assertThrows(IllegalArgumentException.class, () -> DiskFormat.of("raw -o x"));
    }

    @Test
    void timeoutsArePositive() {
        assertThrows(IllegalArgumentException.class, () -> ConvertOptions.of(CacheMode.NONE, Duration.ZERO));
    }
}
