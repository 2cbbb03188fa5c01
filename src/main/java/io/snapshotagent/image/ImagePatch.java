package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.Set;

/**
 * The JSON patch ({@code application/openstack-images-v2.1-json-patch}) that sets attributes and
 * properties on an image, the way glanceclient's {@code images.update} builds it from the image it
 * just read: {@code replace} for what the image already has (Glance answers 409 "Property x does
 * not exist" to a {@code replace} of a missing one), {@code add} for the rest. Values equal to the
 * current ones are left out. It never removes anything: nova updates snapshots with
 * {@code purge_props=False}.
 */
final class ImagePatch {

    static final String CONTENT_TYPE = "application/openstack-images-v2.1-json-patch";

    /** Attributes Glance computes or manages itself; locations go through {@link #addLocation}. */
    static final Set<String> READ_ONLY = Set.of("id", "status", "checksum", "os_hash_algo", "os_hash_value", "size",
            "virtual_size", "created_at", "updated_at", "self", "file", "schema", "direct_url", "locations", "stores");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ImagePatch() {
    }

    /** The operations that give {@code current} the values of {@code changes}; empty when nothing changes. */
    static ArrayNode of(JsonNode current, Map<String, ?> changes, ObjectMapper json) {
        ArrayNode ops = NODES.arrayNode();
        for (Map.Entry<String, ?> change : changes.entrySet()) {
            String key = change.getKey();
            JsonNode value = value(key, change.getValue(), json);
            JsonNode now = current.get(key);
            if (value.equals(now)) {
                continue;
            }
            ObjectNode op = ops.addObject();
            op.put("op", current.has(key) ? "replace" : "add");
            op.put("path", "/" + pointerToken(key));
            op.set("value", value);
        }
        return ops;
    }

    /** The legacy location add (Zed's only way): needs {@code show_multiple_locations = True}. */
    static ArrayNode addLocation(String url) {
        ArrayNode ops = NODES.arrayNode();
        ObjectNode location = NODES.objectNode();
        location.put("url", url);
        location.set("metadata", NODES.objectNode());
        ops.addObject().put("op", "add").put("path", "/locations/-").set("value", location);
        return ops;
    }

    /** The body of {@code POST /v2/images}: the name plus the converted attributes and properties. */
    static ObjectNode createBody(String name, Map<String, ?> properties, ObjectMapper json) {
        ObjectNode body = NODES.objectNode();
        body.put("name", name);
        for (Map.Entry<String, ?> property : properties.entrySet()) {
            if ("name".equals(property.getKey())) {
                throw new IllegalArgumentException("the name is its own parameter, not a property");
            }
            body.set(property.getKey(), value(property.getKey(), property.getValue(), json));
        }
        return body;
    }

    /**
     * Glance's own attributes keep their JSON type ({@code min_disk} a number, {@code protected} a
     * boolean, {@code tags} a list); extra properties are strings in Glance's schema, so numbers
     * and booleans are sent as their text, as nova does.
     */
    static JsonNode value(String key, Object value, ObjectMapper json) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("an image attribute needs a name");
        }
        if (READ_ONLY.contains(key)) {
            throw new IllegalArgumentException("'" + key + "' is set by Glance, not by the agent");
        }
        if (value == null) {
            throw new IllegalArgumentException("'" + key + "' has no value: properties are never removed");
        }
        if (GlanceImage.CORE_ATTRIBUTES.contains(key)) {
            return json.valueToTree(value);
        }
        if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean) {
            return NODES.textNode(value.toString());
        }
        throw new IllegalArgumentException("property '" + key + "' must be a string, not a " + value.getClass().getSimpleName());
    }

    /** RFC 6901: '~' and '/' in a name are escaped. */
    static String pointerToken(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
