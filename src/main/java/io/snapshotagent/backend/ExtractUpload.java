package io.snapshotagent.backend;

import io.snapshotagent.hypervisor.HypervisorException;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.qemu.QemuImgException;
import io.snapshotagent.qemu.ScratchSpaceException;

import java.nio.file.Path;
import java.util.Map;

/** What the cold and the live extract share: the upload of the extracted file, and their error codes. */
final class ExtractUpload {

    private ExtractUpload() {
    }

    /** nova's order: {@code image_uploading}, the metadata, then the data. */
    static GlanceImage upload(GlanceImages glance, SnapshotJob job, Map<String, String> metadata, Path file,
            SnapshotProgress progress) throws GlanceException {
        progress.uploading();
        glance.update(job.imageId(), metadata);
        return glance.upload(job.imageId(), file);
    }

    /** The task's error for a failure of an extract step; each of these carries its stable code. */
    static BackendException failure(Exception e) {
        if (e instanceof GlanceException g) {
            return LibvirtSnapshotBackend.glanceFailure(g);
        }
        String code = e instanceof ScratchSpaceException s ? s.code()
                : e instanceof QemuImgException q ? q.code()
                : e instanceof HypervisorException h ? h.code()
                : ScratchSpaceException.SCRATCH_DIR_FAILED;
        return new BackendException(code, e.getMessage(), e);
    }
}
