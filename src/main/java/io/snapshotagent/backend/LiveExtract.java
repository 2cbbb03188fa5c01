package io.snapshotagent.backend;

import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.hypervisor.HypervisorException;
import io.snapshotagent.hypervisor.LiveSnapshot;
import io.snapshotagent.hypervisor.LiveSnapshotRequest;
import io.snapshotagent.hypervisor.LiveSnapshotResult;
import io.snapshotagent.hypervisor.MirrorProgress;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.qemu.CacheMode;
import io.snapshotagent.qemu.ConvertOptions;
import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.DiskSource;
import io.snapshotagent.qemu.ImageInfo;
import io.snapshotagent.qemu.QemuImg;
import io.snapshotagent.qemu.QemuImgException;
import io.snapshotagent.qemu.ScratchDir;
import io.snapshotagent.qemu.ScratchDirectories;
import io.snapshotagent.qemu.ScratchSpaceException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * nova's live snapshot of a file disk (qcow2 overlay or flat): the guest keeps running while
 * libvirt mirrors the disk into a qcow2 delta (block copy, transient job), the mirror is dropped
 * without pivot once in sync, and the delta with its backing file is flattened into the output,
 * which is streamed to Glance. See {@link LiveSnapshot} for the guarantees on every error path.
 */
@ApplicationScoped
public class LiveExtract {

    private static final Logger LOG = Logger.getLogger(LiveExtract.class);

    private final LiveSnapshot live;
    private final ScratchDirectories scratch;
    private final GlanceImages glance;
    private final QemuImg qemuImg;
    private final AgentConfig config;

    LiveExtract(LiveSnapshot live, ScratchDirectories scratch, GlanceImages glance, AgentConfig config) {
        this.live = live;
        this.scratch = scratch;
        this.glance = glance;
        this.config = config;
        this.qemuImg = new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT);
    }

    GlanceImage snapshot(SnapshotJob job, GuestDisk disk, DiskFormat outputFormat, Map<String, String> metadata,
            SnapshotProgress progress) throws BackendException, InterruptedException {
        DiskFormat inFormat = ColdExtract.sourceFormat(disk);
        DiskSource source = new DiskSource.File(Path.of(disk.path()));
        try (ScratchDir dir = scratch.open(job.taskId())) {
            // the delta holds what the guest writes during the mirror; the output what the extract writes
            long needed = qemuImg.extractBytes(source, inFormat);
            dir.ensureFreeSpace(needed + needed / 10);
            // QEMU opens the delta inside: it needs o+x on the directory, as nova's 0701
            dir.allowHypervisorTraversal();
            ImageInfo info = qemuImg.info(source, Optional.of(inFormat));
            Path out = dir.resolve(job.imageId().toString().replace("-", ""));
            ConvertOptions options = ConvertOptions.of(CacheMode.forDirectory(dir.path()), config.libvirt().convertTimeout());
            if (outputFormat == DiskFormat.QCOW2 && config.libvirt().snapshotCompression()) {
                options = options.compressed();
            }
            LiveSnapshotResult result = live.snapshot(LiveSnapshotRequest.of(job.instanceUuid(), disk, info, out,
                    outputFormat, options, job.instance().quiesce()), MirrorProgress.NONE);
            LOG.infof("task %s: live snapshot of %s: mirror %d ms, extract %d ms%s", job.taskId(), disk.path(),
                    result.mirrorTime().toMillis(), result.convertTime().toMillis(), result.quiesced() ? ", quiesced" : "");
            return ExtractUpload.upload(glance, job, metadata, result.output(), progress);
        } catch (ScratchSpaceException | QemuImgException | HypervisorException | GlanceException e) {
            throw ExtractUpload.failure(e);
        }
    }
}
