package io.snapshotagent.rpc;

import java.util.Map;
import java.util.UUID;

/**
 * The fields of nova's {@code Instance} object (primitive version 2.x) that snapshots and their
 * notifications need. Unknown fields of the primitive are ignored.
 */
public record InstanceRef(
        UUID uuid,
        String objectVersion,
        String host,
        String projectId,
        String userId,
        String imageRef,
        String displayName,
        Integer powerState,
        String vmState,
        String taskState,
        String osType,
        Map<String, String> systemMetadata,
        Flavor flavor) {

    public InstanceRef {
        systemMetadata = systemMetadata == null ? Map.of() : Map.copyOf(systemMetadata);
    }

    /** nova's {@code Flavor} object, as far as notifications show it. */
    public record Flavor(String flavorId, String name, Integer memoryMb, Integer vcpus, Integer rootGb,
                         Integer ephemeralGb, Integer swap) {
    }
}
