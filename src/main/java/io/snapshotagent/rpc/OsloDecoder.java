package io.snapshotagent.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Decodes nova compute RPC casts as oslo.messaging puts them on the wire: envelope 2.0
 * ({@code {"oslo.version": "2.0", "oslo.message": "<json string>"}}) or the bare 1.0 form (the
 * message dict itself), compute RPC API 5.x or 6.x, {@code Instance} primitives 2.x.
 *
 * <p>Never throws for bad input: every message ends as {@link Decoded.Accepted},
 * {@link Decoded.Ignored} or {@link Decoded.Rejected} with a reason. Stateless and thread-safe.
 */
public final class OsloDecoder {

    private static final Pattern RPC_VERSION = Pattern.compile("([56])\\.(\\d+)");
    private static final Pattern OBJECT_VERSION = Pattern.compile("2\\.\\d+");
    /** nova's uuidutils.is_uuid_like accepts hyphenated or plain hex; Glance ids are always hyphenated. */
    private static final Pattern UUID_LIKE = Pattern.compile(
            "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");

    private final ObjectMapper json;
    private final String host;
    private final boolean computeTopic;
    private final int maxBytes;

    /**
     * @param host         this agent's compute host: casts for an instance on another host are refused
     * @param computeTopic true when listening on nova's own {@code compute} topic, where other
     *                     methods are normal traffic, not errors
     * @param maxBytes     bodies above this are refused unread
     */
    public OsloDecoder(ObjectMapper json, String host, boolean computeTopic, int maxBytes) {
        this.json = json;
        this.host = host;
        this.computeTopic = computeTopic;
        this.maxBytes = maxBytes;
    }

    public Decoded decode(byte[] body) {
        if (body.length > maxBytes) {
            return reject(RejectReason.OVERSIZED, body.length + " bytes, limit " + maxBytes);
        }
        JsonNode outer;
        try {
            outer = json.readTree(body);
        } catch (java.io.IOException e) {
            return reject(RejectReason.MALFORMED_JSON, firstLine(e));
        }
        if (outer == null || !outer.isObject()) {
            return reject(RejectReason.BAD_ENVELOPE, "the body is not a JSON object");
        }
        JsonNode message = outer;
        if (outer.has("oslo.version")) {
            String version = outer.path("oslo.version").asText();
            if (!"2.0".equals(version)) {
                return reject(RejectReason.UNSUPPORTED_ENVELOPE_VERSION, "oslo.version " + version + ", expected 2.0");
            }
            JsonNode inner = outer.get("oslo.message");
            if (inner == null || !inner.isTextual()) {
                return reject(RejectReason.BAD_ENVELOPE, "oslo.message is missing or not a JSON string");
            }
            try {
                message = json.readTree(inner.asText());
            } catch (JsonProcessingException e) {
                return reject(RejectReason.MALFORMED_JSON, "oslo.message: " + firstLine(e));
            }
            if (message == null || !message.isObject()) {
                return reject(RejectReason.BAD_ENVELOPE, "oslo.message is not a JSON object");
            }
        }
        return decodeMessage(message);
    }

    private Decoded decodeMessage(JsonNode message) {
        JsonNode methodNode = message.get("method");
        if (methodNode == null || !methodNode.isTextual()) {
            return reject(RejectReason.BAD_ENVELOPE, "no method");
        }
        JsonNode args = message.get("args");
        if (args == null || !args.isObject()) {
            return reject(RejectReason.BAD_ENVELOPE, "args is missing or not an object");
        }
        Optional<String> imageId = uuidText(args.get("image_id"));
        Optional<String> instanceUuid = uuidText(args.path("instance").path("nova_object.data").get("uuid"));

        String methodName = methodNode.asText();
        Optional<SnapshotCast.Method> method = SnapshotCast.Method.fromWire(methodName);
        if (method.isEmpty()) {
            if (computeTopic) {
                return new Decoded.Ignored(methodName);
            }
            return new Decoded.Rejected(RejectReason.UNKNOWN_METHOD, "method " + methodName + " is not served here",
                    instanceUuid, imageId);
        }
        String version = message.path("version").asText("");
        if (!RPC_VERSION.matcher(version).matches()) {
            return new Decoded.Rejected(RejectReason.UNSUPPORTED_RPC_VERSION,
                    "compute RPC version '" + version + "', supported 5.x and 6.x", instanceUuid, imageId);
        }

        if (!args.hasNonNull("image_id")) {
            return new Decoded.Rejected(RejectReason.MISSING_ARGUMENT, "image_id is missing", instanceUuid, imageId);
        }
        if (imageId.isEmpty()) {
            return new Decoded.Rejected(RejectReason.INVALID_IMAGE_ID,
                    "image_id '" + clip(args.get("image_id").asText()) + "' is not a UUID", instanceUuid, imageId);
        }
        JsonNode instance = args.get("instance");
        if (instance == null || instance.isNull()) {
            return new Decoded.Rejected(RejectReason.MISSING_ARGUMENT, "instance is missing", instanceUuid, imageId);
        }
        if (!instance.isObject() || !"Instance".equals(instance.path("nova_object.name").asText())
                || !instance.path("nova_object.data").isObject()) {
            return new Decoded.Rejected(RejectReason.INVALID_INSTANCE,
                    "instance is not a nova Instance object primitive", instanceUuid, imageId);
        }
        String objectVersion = instance.path("nova_object.version").asText("");
        if (!OBJECT_VERSION.matcher(objectVersion).matches()) {
            return new Decoded.Rejected(RejectReason.UNSUPPORTED_OBJECT_VERSION,
                    "Instance object version '" + objectVersion + "', supported 2.x", instanceUuid, imageId);
        }
        JsonNode data = instance.get("nova_object.data");
        if (instanceUuid.isEmpty()) {
            return new Decoded.Rejected(RejectReason.INVALID_INSTANCE_UUID,
                    "instance uuid '" + clip(data.path("uuid").asText("")) + "' is not a UUID", instanceUuid, imageId);
        }
        String instanceHost = text(data, "host");
        if (!host.equals(instanceHost)) {
            return new Decoded.Rejected(RejectReason.WRONG_HOST,
                    "instance is on host '" + instanceHost + "', this agent serves '" + host + "'", instanceUuid, imageId);
        }

        Optional<String> backupType = Optional.empty();
        Optional<Integer> rotation = Optional.empty();
        if (method.get() == SnapshotCast.Method.BACKUP_INSTANCE) {
            JsonNode type = args.get("backup_type");
            JsonNode rot = args.get("rotation");
            if (type == null || type.isNull() || rot == null || rot.isNull()) {
                return new Decoded.Rejected(RejectReason.MISSING_ARGUMENT,
                        "backup_instance needs backup_type and rotation", instanceUuid, imageId);
            }
            if (!type.isTextual() || type.asText().isBlank()) {
                return new Decoded.Rejected(RejectReason.INVALID_ARGUMENT, "backup_type must be a non-empty string",
                        instanceUuid, imageId);
            }
            if (!rot.canConvertToInt() || !rot.isIntegralNumber() || rot.asInt() < 0) {
                return new Decoded.Rejected(RejectReason.INVALID_ARGUMENT,
                        "rotation must be a non-negative integer, is " + clip(rot.toString()), instanceUuid, imageId);
            }
            backupType = Optional.of(type.asText());
            rotation = Optional.of(rot.asInt());
        }

        InstanceRef ref = new InstanceRef(UUID.fromString(hyphenate(instanceUuid.get())), objectVersion, instanceHost,
                text(data, "project_id"), text(data, "user_id"), text(data, "image_ref"), text(data, "display_name"),
                data.path("power_state").isInt() ? data.get("power_state").asInt() : null,
                text(data, "vm_state"), text(data, "task_state"), text(data, "os_type"),
                stringMap(data.get("system_metadata")), flavor(data.path("flavor").path("nova_object.data")));
        return new Decoded.Accepted(new SnapshotCast(method.get(), version, text(message, "_unique_id"),
                UUID.fromString(hyphenate(imageId.get())), ref, backupType, rotation, context(message), data));
    }

    private static RequestContext context(JsonNode m) {
        List<String> roles = new ArrayList<>();
        m.path("_context_roles").forEach(r -> roles.add(r.asText()));
        return new RequestContext(text(m, "_context_request_id"), text(m, "_context_global_request_id"),
                text(m, "_context_user_id"), text(m, "_context_user_name"), text(m, "_context_project_id"),
                text(m, "_context_project_name"), roles, m.path("_context_is_admin").asBoolean(false));
    }

    private static InstanceRef.Flavor flavor(JsonNode f) {
        if (!f.isObject()) {
            return null;
        }
        return new InstanceRef.Flavor(text(f, "flavorid"), text(f, "name"), integer(f, "memory_mb"), integer(f, "vcpus"),
                integer(f, "root_gb"), integer(f, "ephemeral_gb"), integer(f, "swap"));
    }

    private static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    map.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
                }
            });
        }
        return map;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Integer integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.canConvertToInt() ? v.asInt() : null;
    }

    private static Optional<String> uuidText(JsonNode node) {
        if (node == null || !node.isTextual() || !UUID_LIKE.matcher(node.asText()).matches()) {
            return Optional.empty();
        }
        return Optional.of(hyphenate(node.asText()).toLowerCase());
    }

    private static String hyphenate(String uuid) {
        if (uuid.length() == 32) {
            return uuid.substring(0, 8) + "-" + uuid.substring(8, 12) + "-" + uuid.substring(12, 16) + "-"
                    + uuid.substring(16, 20) + "-" + uuid.substring(20);
        }
        return uuid;
    }

    private static Decoded reject(RejectReason reason, String detail) {
        return new Decoded.Rejected(reason, detail, Optional.empty(), Optional.empty());
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return clip(nl < 0 ? m : m.substring(0, nl));
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
