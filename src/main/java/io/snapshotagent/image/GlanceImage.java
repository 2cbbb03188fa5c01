package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One Glance v2 image as Glance returned it. Nullable fields are null while Glance has no value
 * ({@code size}, {@code checksum} and the formats stay null until data or a location arrives).
 *
 * @param properties the image's extra properties (everything outside Glance's own schema, e.g.
 *                   nova's {@code image_type}, {@code instance_uuid}, {@code image_location})
 * @param locations  the location URLs; visible only when Glance runs with
 *                   {@code show_multiple_locations = True}
 * @param json       the image document exactly as Glance sent it
 */
public record GlanceImage(UUID id, String name, String status, String owner, Long size, Long virtualSize,
                          String diskFormat, String containerFormat, String visibility, String checksum,
                          String osHashAlgo, String osHashValue, Instant createdAt, Instant updatedAt,
                          Map<String, String> properties, List<String> locations, String json) {

    /** Glance's statuses that nova's snapshot path meets. */
    public static final String QUEUED = "queued";
    public static final String SAVING = "saving";
    public static final String ACTIVE = "active";

    /**
     * Attributes of Glance's image schema ({@code GET /v2/schemas/image}, Zed), plus the
     * multistore {@code stores}. Anything else at the top level of an image is an extra property.
     */
    static final Set<String> CORE_ATTRIBUTES = Set.of("id", "name", "status", "visibility", "protected", "os_hidden",
            "checksum", "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
            "created_at", "updated_at", "tags", "direct_url", "locations", "self", "file", "schema", "disk_format",
            "container_format", "stores");

    public GlanceImage {
        properties = Collections.unmodifiableMap(new TreeMap<>(properties));
        locations = List.copyOf(locations);
    }

    public boolean isActive() {
        return ACTIVE.equals(status);
    }

    /** Reads an image document ({@code GET /v2/images/{id}}, or one entry of a listing). */
    static GlanceImage from(JsonNode image, String json) {
        Map<String, String> properties = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = image.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!CORE_ATTRIBUTES.contains(field.getKey()) && !field.getValue().isNull()) {
                JsonNode value = field.getValue();
                properties.put(field.getKey(), value.isTextual() ? value.asText() : value.toString());
            }
        }
        List<String> locations = new ArrayList<>();
        for (JsonNode location : image.path("locations")) {
            if (location.path("url").isTextual()) {
                locations.add(location.get("url").asText());
            }
        }
        String id = text(image, "id");
        if (id == null) {
            throw new IllegalArgumentException("the image document has no id");
        }
        return new GlanceImage(UUID.fromString(id), text(image, "name"), text(image, "status"), text(image, "owner"),
                number(image, "size"), number(image, "virtual_size"), text(image, "disk_format"),
                text(image, "container_format"), text(image, "visibility"), text(image, "checksum"),
                text(image, "os_hash_algo"), text(image, "os_hash_value"), instant(image, "created_at"),
                instant(image, "updated_at"), properties, locations, json);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Long number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isNumber() ? null : value.asLong();
    }

    private static Instant instant(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("image field " + field + " is not a timestamp: " + value, e);
        }
    }

    @Override
    public String toString() {
        return "GlanceImage[" + id + " '" + name + "' " + status + (size == null ? "" : " " + size + " bytes") + "]";
    }
}
