package io.snapshotagent.ceph;

import java.util.UUID;

/** A temporary direct-snapshot snapshot found on a disk, with the task that made it. */
public record SourceSnap(UUID taskId, String pool, String image, String snap) {

    @Override
    public String toString() {
        return pool + "/" + image + "@" + snap;
    }
}
