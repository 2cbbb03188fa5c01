package io.snapshotagent.backend;

import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;

/**
 * nova's {@code _rotate_backups}: of the instance's backups of this type, newest first, keep
 * {@code rotation} and delete the rest. A failure to list or delete is logged and never fails the
 * backup that was just taken.
 */
@ApplicationScoped
public class BackupRotation {

    private static final Logger LOG = Logger.getLogger(BackupRotation.class);

    private final GlanceImages glance;

    BackupRotation(GlanceImages glance) {
        this.glance = glance;
    }

    /** @return how many old backups were deleted */
    public int rotate(SnapshotJob job) {
        if (job.rotation().isEmpty() || job.backupType().isEmpty()) {
            return 0;
        }
        int keep = job.rotation().get();
        List<GlanceImage> backups;
        try {
            backups = glance.list(Map.of("image_type", "backup", "backup_type", job.backupType().get(),
                    "instance_uuid", job.instanceUuid().toString()), "created_at", "desc");
        } catch (GlanceException | RuntimeException e) {
            LOG.warnf("task %s: cannot list the backups to rotate: %s", job.taskId(), e.getMessage());
            return 0;
        }
        int deleted = 0;
        for (GlanceImage old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
            try {
                glance.delete(old.id());
                deleted++;
                LOG.infof("task %s: rotated out backup %s (%s)", job.taskId(), old.id(), old.createdAt());
            } catch (ImageNotFound e) {
                LOG.infof("task %s: backup %s was already deleted", job.taskId(), old.id());
            } catch (GlanceException | RuntimeException e) {
                LOG.warnf("task %s: cannot delete old backup %s: %s", job.taskId(), old.id(), e.getMessage());
            }
        }
        return deleted;
    }
}
