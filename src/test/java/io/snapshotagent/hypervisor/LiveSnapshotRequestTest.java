package io.snapshotagent.hypervisor;

import io.snapshotagent.qemu.CacheMode;
import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.ImageInfo;
import io.snapshotagent.qemu.QemuImg;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LiveSnapshotRequestTest {

    private static final UUID INSTANCE = UUID.fromString("3f0e8a4e-7a53-4f4e-9a2b-1d2c3b4a5f60");
    private static final Path OUT = Path.of("/var/lib/nova/instances/snapshots/snapshot-1/0123abcd");
    private static final ConvertOptions CONVERT = ConvertOptions.of(CacheMode.NONE, Duration.ofMinutes(5));
    private static final GuestDisk QCOW2 = new GuestDisk(DiskBackend.QCOW2, "/var/lib/nova/instances/" + INSTANCE + "/disk",
            "qcow2", "vda", Optional.empty());
    private static final GuestDisk FLAT = new GuestDisk(DiskBackend.FLAT, "/var/lib/nova/instances/" + INSTANCE + "/disk",
            "raw", "vda", Optional.empty());

    private static ImageInfo info(String format, Optional<String> backing, Optional<String> backingFormat) {
        return new ImageInfo(QCOW2.path(), format, 1 << 30, OptionalLong.of(1 << 20), backing, backingFormat, OptionalLong.empty());
    }

    @Test
    void aQcow2OverlaysDeltaGetsItsBackingFileAndFormat() throws HypervisorException {
        LiveSnapshotRequest r = LiveSnapshotRequest.of(INSTANCE, QCOW2,
                info("qcow2", Optional.of("/var/lib/nova/instances/_base/abc"), Optional.of("raw")), OUT, DiskFormat.QCOW2,
                CONVERT.compressed(), QuiescePolicy.NONE);
        assertEquals(DiskFormat.QCOW2, r.sourceFormat());
        assertEquals(1 << 30, r.virtualSize());
        assertEquals(Optional.of(new QemuImg.Backing(Path.of("/var/lib/nova/instances/_base/abc"), DiskFormat.RAW)), r.backing());
        assertEquals(Path.of("/var/lib/nova/instances/snapshots/snapshot-1/0123abcd.delta"), r.delta());
        assertEquals(Path.of("/var/lib/nova/instances/snapshots/snapshot-1/0123abcd.domain.xml"), LiveSnapshot.savedDomainOf(OUT));
    }

    @Test
    void aFlatDiskHasNoBacking() throws HypervisorException {
        LiveSnapshotRequest r = LiveSnapshotRequest.of(INSTANCE, FLAT, info("raw", Optional.empty(), Optional.empty()), OUT,
                DiskFormat.RAW, CONVERT, QuiescePolicy.NONE);
        assertEquals(DiskFormat.RAW, r.sourceFormat());
        assertEquals(Optional.empty(), r.backing());
    }

    @Test
    void aBackingFileWithoutARecordedFormatIsNotGuessed() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> LiveSnapshotRequest.of(INSTANCE, QCOW2,
                info("qcow2", Optional.of("/var/lib/nova/instances/_base/abc"), Optional.empty()), OUT, DiskFormat.QCOW2,
                CONVERT, QuiescePolicy.NONE));
        assertEquals(HypervisorException.UNSUPPORTED_DISK, e.code());
        assertTrue(e.getMessage().contains("no recorded backing format"), e.getMessage());
    }

    @Test
    void aRelativeBackingFileIsRefused() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> LiveSnapshotRequest.of(INSTANCE, QCOW2,
                info("qcow2", Optional.of("../_base/abc"), Optional.of("raw")), OUT, DiskFormat.QCOW2, CONVERT,
                QuiescePolicy.NONE));
        assertEquals(HypervisorException.UNSUPPORTED_DISK, e.code());
    }

    @Test
    void onlyQcow2OutputIsCompressed() {
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotRequest(INSTANCE, FLAT, DiskFormat.RAW, 1 << 30,
                Optional.empty(), OUT, DiskFormat.RAW, CONVERT.compressed(), QuiescePolicy.NONE));
    }

    @Test
    void theOutputIsAnAbsoluteFile() {
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotRequest(INSTANCE, FLAT, DiskFormat.RAW, 1 << 30,
                Optional.empty(), Path.of("relative/out"), DiskFormat.RAW, CONVERT, QuiescePolicy.NONE));
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotRequest(INSTANCE, FLAT, DiskFormat.RAW, 0,
                Optional.empty(), OUT, DiskFormat.RAW, CONVERT, QuiescePolicy.NONE));
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> LiveSnapshotSettings.DEFAULTS.withBandwidth(-1));
        assertThrows(IllegalArgumentException.class, () -> LiveSnapshotSettings.DEFAULTS.withMirrorTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> LiveSnapshotSettings.DEFAULTS.withReconnectGrace(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotSettings(Duration.ofMillis(100), Duration.ofHours(1),
                Duration.ZERO, 0, Duration.ofMillis(500)));
        assertEquals(Duration.ofMillis(250), LiveSnapshotSettings.DEFAULTS.pollInterval());
        assertEquals(0, LiveSnapshotSettings.DEFAULTS.bandwidthBytesPerSecond(), "unlimited, as nova");
    }
}
