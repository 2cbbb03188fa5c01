package io.snapshotagent.hypervisor;

import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.ImageInfo;
import io.snapshotagent.qemu.QemuImg;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What nova's {@code _live_snapshot} is given: the instance, its root disk, the disk's format,
 * virtual size and backing file, and where the extracted image goes.
 *
 * @param instanceUuid the instance (libvirt domain UUID)
 * @param disk         the root disk, a {@link DiskBackend#QCOW2} or {@link DiskBackend#FLAT} file
 * @param sourceFormat the format libvirt reads the disk as
 * @param virtualSize  the disk's guest-visible size, the size of the delta
 * @param backing      the disk's backing file, which the delta gets too; empty for a flat disk
 * @param output       the image to write; its directory must let QEMU reach the delta
 *                     ({@code ScratchDir.allowHypervisorTraversal}, mode 0701), and {@code
 *                     <output>.delta} lives beside it while the snapshot runs
 * @param outputFormat the image's format ({@code snapshot_image_format}, else the source's)
 * @param convert      how {@code qemu-img convert} writes it ({@code compressed()} for
 *                     {@code snapshot_compression} with qcow2)
 * @param quiesce      whether to freeze the guest file systems while the mirror is stopped
 */
public record LiveSnapshotRequest(UUID instanceUuid, GuestDisk disk, DiskFormat sourceFormat, long virtualSize,
                                  Optional<QemuImg.Backing> backing, Path output, DiskFormat outputFormat,
                                  ConvertOptions convert, QuiescePolicy quiesce) {

    public LiveSnapshotRequest {
        Objects.requireNonNull(instanceUuid, "instanceUuid");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(sourceFormat, "sourceFormat");
        Objects.requireNonNull(backing, "backing");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(outputFormat, "outputFormat");
        Objects.requireNonNull(convert, "convert");
        Objects.requireNonNull(quiesce, "quiesce");
        if (virtualSize <= 0) {
            throw new IllegalArgumentException("the virtual size must be positive: " + virtualSize);
        }
        if (!output.isAbsolute() || output.getFileName() == null) {
            throw new IllegalArgumentException("the output must be an absolute file path: " + output);
        }
        if (convert.compress() && outputFormat != DiskFormat.QCOW2) {
            throw new IllegalArgumentException("only a qcow2 output can be compressed, not " + outputFormat.qemuName());
        }
    }

    /**
     * A request for a disk as {@code qemu-img info} describes it ({@link QemuImg#info} with the
     * disk's own format): its virtual size and backing file, with the backing format qemu-img
     * recorded (never guessed by probing, which a guest could steer).
     *
     * @throws HypervisorException {@link HypervisorException#UNSUPPORTED_DISK} for a backing file
     *         of no recorded format, or an unknown disk format
     */
    public static LiveSnapshotRequest of(UUID instanceUuid, GuestDisk disk, ImageInfo info, Path output,
                                         DiskFormat outputFormat, ConvertOptions convert, QuiescePolicy quiesce)
            throws HypervisorException {
        DiskFormat format;
        try {
            format = DiskFormat.of(disk.format());
        } catch (IllegalArgumentException e) {
            throw new HypervisorException(HypervisorException.UNSUPPORTED_DISK, "instance " + instanceUuid + ": " + e.getMessage(), e);
        }
        Optional<QemuImg.Backing> backing = Optional.empty();
        if (info.backingFile().isPresent()) {
            String file = info.backingFile().get();
            String backingFormat = info.backingFormat().orElseThrow(() -> new HypervisorException(
                    HypervisorException.UNSUPPORTED_DISK, "instance " + instanceUuid + ": the disk " + disk.path()
                    + " has the backing file " + file + " but no recorded backing format"));
            if (!Path.of(file).isAbsolute()) {
                throw new HypervisorException(HypervisorException.UNSUPPORTED_DISK, "instance " + instanceUuid
                        + ": the backing file of " + disk.path() + " is not an absolute path: " + file);
            }
            try {
                backing = Optional.of(new QemuImg.Backing(Path.of(file), DiskFormat.of(backingFormat)));
            } catch (IllegalArgumentException e) {
                throw new HypervisorException(HypervisorException.UNSUPPORTED_DISK, "instance " + instanceUuid
                        + ": backing file " + file + ": " + e.getMessage(), e);
            }
        }
        return new LiveSnapshotRequest(instanceUuid, disk, format, info.virtualSize(), backing, output, outputFormat,
                convert, quiesce);
    }

    /** The qcow2 file the mirror writes into. */
    public Path delta() {
        return LiveSnapshot.deltaOf(output);
    }
}
