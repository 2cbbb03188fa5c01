package io.snapshotagent.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotagent.hypervisor.QuiescePolicy;

import java.util.Optional;
import java.util.UUID;

/**
 * What a snapshot needs to know of the instance, read from the {@code Instance} primitive of the
 * cast (its {@code nova_object.data}); the agent never asks nova.
 *
 * @param baseImageRef    the image the instance was built from: {@code image_base_image_ref} of the
 *                        system metadata (what nova-api copies), else {@code image_ref}
 * @param containerFormat the base image's container format ({@code image_container_format})
 * @param quiesce         the base image's {@code hw_qemu_guest_agent} and {@code os_require_quiesce}
 *                        (nova reads them from the instance's image metadata)
 */
public record InstanceFacts(UUID uuid, String projectId, String userId, Optional<String> imageRef,
        Optional<String> baseImageRef, Optional<String> osType, Optional<String> kernelId, Optional<String> ramdiskId,
        Optional<String> containerFormat, Optional<String> displayName, QuiescePolicy quiesce) {

    public static InstanceFacts from(UUID uuid, JsonNode data) {
        JsonNode sys = data.path("system_metadata");
        Optional<String> imageRef = text(data, "image_ref");
        return new InstanceFacts(uuid, text(data, "project_id").orElse(null), text(data, "user_id").orElse(null),
                imageRef, text(sys, "image_base_image_ref").or(() -> imageRef), text(data, "os_type"),
                text(data, "kernel_id"), text(data, "ramdisk_id"), text(sys, "image_container_format"),
                text(data, "display_name"), new QuiescePolicy(yes(sys, "image_hw_qemu_guest_agent"),
                        yes(sys, "image_os_require_quiesce")));
    }

    /** nova's {@code strutils.bool_from_string} for image properties. */
    private static boolean yes(JsonNode node, String field) {
        return text(node, field).map(v -> switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "yes", "true", "1", "on", "y", "t" -> true;
            default -> false;
        }).orElse(false);
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || !v.isValueNode() || v.asText().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(v.asText());
    }
}
