package io.snapshotagent.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The image attributes and properties nova's libvirt driver sets on the snapshot
 * ({@code _create_snapshot_metadata}), plus those nova-api sets when it creates the image
 * ({@code instance_uuid}, {@code image_type}, {@code base_image_ref}, {@code backup_type}): the
 * upstream service that created the image may not be nova-api, and setting them again is harmless.
 */
public final class SnapshotMetadata {

    private SnapshotMetadata() {
    }

    /**
     * @param diskFormat the format of the data the image will hold ({@code raw} for rbd and lvm)
     * @return Glance attribute or property name to value, in a stable order
     */
    public static Map<String, String> of(SnapshotJob job, String diskFormat) {
        InstanceFacts i = job.instance();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("disk_format", diskFormat);
        m.put("container_format", i.containerFormat().orElse("bare"));
        m.put("image_location", "snapshot");
        m.put("image_state", "available");
        if (i.projectId() != null) {
            m.put("owner_id", i.projectId());
        }
        i.osType().ifPresent(v -> m.put("os_type", v));
        // nova drops empty and 'none' kernel/ramdisk ids (_convert_to_v2)
        i.kernelId().filter(SnapshotMetadata::isId).ifPresent(v -> m.put("kernel_id", v));
        i.ramdiskId().filter(SnapshotMetadata::isId).ifPresent(v -> m.put("ramdisk_id", v));
        m.put("instance_uuid", i.uuid().toString());
        m.put("image_type", job.backup() ? "backup" : "snapshot");
        i.baseImageRef().ifPresent(v -> m.put("base_image_ref", v));
        job.backupType().ifPresent(v -> m.put("backup_type", v));
        return m;
    }

    private static boolean isId(String v) {
        return !v.isBlank() && !"none".equalsIgnoreCase(v);
    }
}
