package io.snapshotagent.backend;

import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.hypervisor.DiskBackend;
import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.hypervisor.Guests;
import io.snapshotagent.hypervisor.HypervisorException;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.qemu.CacheMode;
import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.DiskSource;
import io.snapshotagent.qemu.QemuImg;
import io.snapshotagent.qemu.QemuImgException;
import io.snapshotagent.qemu.ScratchDir;
import io.snapshotagent.qemu.ScratchDirectories;
import io.snapshotagent.qemu.ScratchSpaceException;
import io.snapshotagent.hypervisor.SuspendedGuest;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * nova's standard (fallback) snapshot, cold: check the scratch space, save the guest (managed
 * save; a paused guest comes back paused), {@code qemu-img convert} the disk into a private
 * directory, bring the guest back <em>before</em> the upload, then stream the file to Glance. The
 * directory is removed whatever happens.
 */
@ApplicationScoped
public class ColdExtract {

    /** In the task's scratch directory while the guest is in managed save for it. */
    static final String SAVED_MARKER = "guest-saved-by-snapshot-agent";
    private static final Logger LOG = Logger.getLogger(ColdExtract.class);

    private final Guests guests;
    private final ScratchDirectories scratch;
    private final GlanceImages glance;
    private final QemuImg qemuImg;
    private final AgentConfig config;

    ColdExtract(Guests guests, ScratchDirectories scratch, GlanceImages glance, AgentConfig config) {
        this.guests = guests;
        this.scratch = scratch;
        this.glance = glance;
        this.config = config;
        this.qemuImg = new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT);
    }

    /** The disk as qemu-img reads it, and in which format (nova's {@code snapshot_extract} table). */
    DiskSource source(GuestDisk disk) {
        return switch (disk.backend()) {
            case RBD -> DiskSource.rbd(disk.rbd().orElseThrow().pool(), disk.rbd().orElseThrow().image(),
                    config.rbd().user(), config.rbd().cephConf());
            case PLOOP -> new DiskSource.File(Path.of(disk.path()).resolve("root.hds"));
            default -> new DiskSource.File(Path.of(disk.path()));
        };
    }

    static DiskFormat sourceFormat(GuestDisk disk) {
        return switch (disk.backend()) {
            case RBD, LVM -> DiskFormat.RAW;
            case PLOOP -> DiskFormat.PARALLELS;
            default -> DiskFormat.of(disk.format());
        };
    }

    /**
     * What the extract will write. qemu-img reports no allocation for a block device (0), so an
     * LVM disk counts its whole size, as nova sizes LVM by the device.
     */
    private long extractBytes(GuestDisk disk, DiskSource source, DiskFormat inFormat)
            throws QemuImgException, InterruptedException {
        if (disk.backend() == DiskBackend.LVM) {
            return qemuImg.info(source, java.util.Optional.of(inFormat)).virtualSize();
        }
        return qemuImg.extractBytes(source, inFormat);
    }

    GlanceImage snapshot(SnapshotJob job, GuestDisk disk, DiskFormat outputFormat, Map<String, String> metadata,
            SnapshotProgress progress) throws BackendException, InterruptedException {
        DiskSource source = source(disk);
        DiskFormat inFormat = sourceFormat(disk);
        try (ScratchDir dir = scratch.open(job.taskId())) {
            // fail before the guest is touched when the extract cannot fit
            dir.ensureFreeSpace(extractBytes(disk, source, inFormat));
            Path out = dir.resolve(job.imageId().toString().replace("-", ""));
            ConvertOptions options = ConvertOptions.of(CacheMode.forDirectory(dir.path()), config.libvirt().convertTimeout());
            if (outputFormat == DiskFormat.QCOW2 && config.libvirt().snapshotCompression()
                    && disk.backend() != DiskBackend.FLAT && disk.backend() != DiskBackend.LVM
                    && disk.backend() != DiskBackend.RBD) {
                // nova compresses only through extract_snapshot (qcow2 and ploop sources)
                options = options.compressed();
            }
            long started = System.nanoTime();
            // written before the save: after a crash, recovery restores only a guest the agent saved
            // (nova's own suspend leaves the same kind of managed-save image, on purpose)
            Path marker = dir.resolve(SAVED_MARKER);
            java.nio.file.Files.writeString(marker, job.instanceUuid().toString());
            try (SuspendedGuest saved = guests.suspendForSnapshot(job.instanceUuid())) {
                qemuImg.convert(source, inFormat, out, outputFormat, options);
            }
            java.nio.file.Files.deleteIfExists(marker);
            LOG.infof("task %s: disk %s extracted cold in %d ms", job.taskId(), source.describe(),
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            return ExtractUpload.upload(glance, job, metadata, out, progress);
        } catch (java.io.IOException e) {
            throw new BackendException(ScratchSpaceException.SCRATCH_DIR_FAILED, "cannot write in the scratch directory: "
                    + e.getMessage(), e);
        } catch (ScratchSpaceException | QemuImgException | HypervisorException | GlanceException e) {
            throw ExtractUpload.failure(e);
        }
    }
}
