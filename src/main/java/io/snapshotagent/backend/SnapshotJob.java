package io.snapshotagent.backend;

import java.util.Optional;
import java.util.UUID;

/** What a backend needs to know to snapshot one instance disk into one Glance image. */
public record SnapshotJob(UUID taskId, UUID imageId, InstanceFacts instance, boolean backup, Optional<String> backupType,
        Optional<Integer> rotation) {

    public UUID instanceUuid() {
        return instance.uuid();
    }
}
