package io.snapshotagent.ceph;

import java.util.Objects;
import java.util.UUID;

/**
 * One direct snapshot: the instance disk {@code diskPool/diskImage} (nova's {@code vms/<uuid>_disk})
 * becomes the image {@code targetPool/<imageId>} with the snapshot {@code snap}. The task id names
 * everything the snapshot makes, so a crashed run's leftovers can be found and told from others'.
 */
public record DirectSnapshotRequest(UUID taskId, String diskPool, String diskImage, String targetPool, UUID imageId) {

    public DirectSnapshotRequest {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(diskPool, "diskPool");
        Objects.requireNonNull(diskImage, "diskImage");
        Objects.requireNonNull(targetPool, "targetPool");
        Objects.requireNonNull(imageId, "imageId");
    }

    /** The temporary snapshot of the disk: {@code snapshot-agent-<taskId>}. */
    public String sourceSnap() {
        return RbdDirectSnapshot.SOURCE_SNAP_PREFIX + taskId;
    }

    /** The clone's name in the target pool: the Glance image id, as nova names it. */
    public String cloneImage() {
        return imageId.toString();
    }
}
