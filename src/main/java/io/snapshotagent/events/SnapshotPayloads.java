package io.snapshotagent.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Builds nova's {@code InstanceActionSnapshotPayload} (version 1.9, as nova 26 sends it) from the
 * {@code Instance} primitive of the cast, field by field as nova's {@code InstancePayload} does,
 * so consumers of nova's versioned notifications read the agent's events unchanged.
 */
public final class SnapshotPayloads {

    static final String PAYLOAD_VERSION = "1.9";
    static final String FLAVOR_PAYLOAD_VERSION = "1.4";
    static final String IP_PAYLOAD_VERSION = "1.0";
    static final String UPDATE_PAYLOAD_VERSION = "2.0";
    static final String STATE_UPDATE_VERSION = "1.0";
    static final String AUDIT_PERIOD_VERSION = "1.0";

    /** nova's {@code utils.isotime}: seconds, UTC, a literal Z. */
    private static final DateTimeFormatter NOVA_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'");

    /** nova's {@code compute/power_state.py} names. */
    private static final Map<Integer, String> POWER_STATES = Map.of(0, "pending", 1, "running", 3, "paused",
            4, "shutdown", 6, "crashed", 7, "suspended");

    private static final List<String> FLAVOR_FIELDS = List.of("flavorid", "memory_mb", "vcpus", "root_gb",
            "ephemeral_gb", "name", "swap", "rxtx_factor", "vcpu_weight", "disabled", "is_public", "extra_specs",
            "projects", "description");

    private final ObjectMapper json;

    public SnapshotPayloads(ObjectMapper json) {
        this.json = json;
    }

    /** Who asked: the request context's ids, as nova fills {@code action_initiator_*}. */
    public record Initiator(String requestId, String userId, String projectId) {
    }

    /**
     * @param instance  the {@code nova_object.data} of the cast's Instance
     * @param taskState nova's task state at the moment of the event, null for None
     * @param fault     an {@code ExceptionPayload} primitive for error events, else null
     */
    public ObjectNode snapshotPayload(JsonNode instance, Initiator initiator, String taskState, String snapshotImageId,
            JsonNode fault) {
        ObjectNode d = json.createObjectNode();
        d.put("snapshot_image_id", snapshotImageId);
        d.set("fault", fault);
        instanceFields(instance, initiator, taskState, d);
        return primitive("InstanceActionSnapshotPayload", PAYLOAD_VERSION, d);
    }

    /**
     * nova's {@code InstanceUpdatePayload} (2.0, as nova 26 sends with {@code instance.update}):
     * the instance with its task state moving from {@code oldTaskState} to {@code newTaskState};
     * the vm state does not change during a snapshot. The audit period is nova's default
     * ({@code instance_usage_audit_period = month}): from the start of this month until now.
     */
    public ObjectNode updatePayload(JsonNode instance, Initiator initiator, String oldTaskState, String newTaskState,
            Instant now) {
        ObjectNode d = json.createObjectNode();
        instanceFields(instance, initiator, newTaskState, d);
        ObjectNode state = json.createObjectNode();
        JsonNode vmState = instance.get("vm_state");
        state.set("old_state", vmState == null ? json.nullNode() : vmState);
        state.set("state", vmState == null ? json.nullNode() : vmState);
        state.put("old_task_state", oldTaskState);
        state.put("new_task_state", newTaskState);
        d.set("state_update", primitive("InstanceStateUpdatePayload", STATE_UPDATE_VERSION, state));
        ObjectNode audit = json.createObjectNode();
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
        audit.put("audit_period_beginning", NOVA_TIME.format(utc.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS)));
        audit.put("audit_period_ending", NOVA_TIME.format(utc));
        d.set("audit_period", primitive("AuditPeriodPayload", AUDIT_PERIOD_VERSION, audit));
        d.putNull("old_display_name");
        d.set("tags", tags(instance.path("tags")));
        return primitive("InstanceUpdatePayload", UPDATE_PAYLOAD_VERSION, d);
    }

    /** An {@code InstanceTagList} primitive, if the cast carried one, as nova's list of tag strings. */
    private ArrayNode tags(JsonNode tagList) {
        ArrayNode tags = json.createArrayNode();
        for (JsonNode tag : tagList.path("nova_object.data").path("objects")) {
            JsonNode name = tag.path("nova_object.data").get("tag");
            if (name != null && name.isTextual()) {
                tags.add(name.asText());
            }
        }
        return tags;
    }

    /** The fields of nova's {@code InstancePayload}, which every instance notification shares. */
    private void instanceFields(JsonNode instance, Initiator initiator, String taskState, ObjectNode d) {
        d.put("request_id", initiator.requestId());
        copy(instance, d, "uuid", "uuid");
        copy(instance, d, "user_id", "user_id");
        copy(instance, d, "project_id", "tenant_id");
        copy(instance, d, "reservation_id", "reservation_id");
        copy(instance, d, "display_name", "display_name");
        copy(instance, d, "display_description", "display_description");
        copy(instance, d, "hostname", "host_name");
        copy(instance, d, "host", "host");
        copy(instance, d, "node", "node");
        copy(instance, d, "os_type", "os_type");
        copy(instance, d, "architecture", "architecture");
        copy(instance, d, "availability_zone", "availability_zone");
        d.set("flavor", flavor(instance.path("flavor").path("nova_object.data")));
        copy(instance, d, "image_ref", "image_uuid");
        copy(instance, d, "key_name", "key_name");
        copy(instance, d, "kernel_id", "kernel_id");
        copy(instance, d, "ramdisk_id", "ramdisk_id");
        for (String time : List.of("created_at", "launched_at", "terminated_at", "deleted_at", "updated_at")) {
            copy(instance, d, time, time);
        }
        copy(instance, d, "vm_state", "state");
        JsonNode power = instance.get("power_state");
        d.put("power_state", power != null && power.canConvertToInt() ? POWER_STATES.get(power.asInt()) : null);
        d.put("task_state", taskState);
        copy(instance, d, "progress", "progress");
        d.set("ip_addresses", ipAddresses(instance.path("info_cache").path("nova_object.data").path("network_info")));
        // nova leaves them out unless [notifications] bdms_in_notifications is set
        d.putNull("block_devices");
        d.set("metadata", instance.path("metadata").isObject() ? instance.get("metadata") : json.createObjectNode());
        copy(instance, d, "locked", "locked");
        d.put("auto_disk_config", instance.path("auto_disk_config").asBoolean(false) ? "AUTO" : "MANUAL");
        d.put("action_initiator_user", initiator.userId());
        d.put("action_initiator_project", initiator.projectId());
        JsonNode reason = instance.path("system_metadata").get("locked_reason");
        d.put("locked_reason", reason == null || reason.isNull() ? null : reason.asText());
    }

    private JsonNode flavor(JsonNode flavor) {
        if (!flavor.isObject()) {
            return json.nullNode();
        }
        ObjectNode d = json.createObjectNode();
        for (String field : FLAVOR_FIELDS) {
            copy(flavor, d, field, field);
        }
        return primitive("FlavorPayload", FLAVOR_PAYLOAD_VERSION, d);
    }

    /** nova's {@code IpPayload.from_network_info}: one entry per fixed IP of each VIF. */
    private ArrayNode ipAddresses(JsonNode networkInfo) {
        ArrayNode ips = json.createArrayNode();
        JsonNode vifs = networkInfo;
        if (networkInfo.isTextual()) {
            try {
                vifs = json.readTree(networkInfo.asText());
            } catch (JsonProcessingException e) {
                return ips;
            }
        }
        for (JsonNode vif : vifs) {
            for (JsonNode subnet : vif.path("network").path("subnets")) {
                for (JsonNode ip : subnet.path("ips")) {
                    if (!"fixed".equals(ip.path("type").asText("fixed"))) {
                        continue;
                    }
                    ObjectNode d = json.createObjectNode();
                    d.put("label", vif.path("network").path("label").asText(null));
                    d.put("mac", vif.path("address").asText(null));
                    d.set("meta", vif.path("meta").isObject() ? vif.get("meta") : json.createObjectNode());
                    d.put("port_uuid", vif.path("id").asText(null));
                    d.put("version", ip.path("version").asInt(4));
                    d.put("address", ip.path("address").asText(null));
                    d.put("device_name", vif.path("devname").asText(null));
                    ips.add(primitive("IpPayload", IP_PAYLOAD_VERSION, d));
                }
            }
        }
        return ips;
    }

    private ObjectNode primitive(String name, String version, ObjectNode data) {
        ObjectNode o = json.createObjectNode();
        o.put("nova_object.name", name);
        o.put("nova_object.namespace", "nova");
        o.put("nova_object.version", version);
        o.set("nova_object.data", data);
        return o;
    }

    private void copy(JsonNode from, ObjectNode to, String source, String target) {
        JsonNode v = from.get(source);
        to.set(target, v == null ? json.nullNode() : v);
    }
}
