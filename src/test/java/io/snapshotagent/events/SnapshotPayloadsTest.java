package io.snapshotagent.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's snapshot payloads against the ones nova 26 itself produced for the same cast. */
class SnapshotPayloadsTest {

    private final ObjectMapper json = new ObjectMapper();
    private final SnapshotPayloads payloads = new SnapshotPayloads(json);

    private JsonNode inner(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/rpc/" + name)) {
            return json.readTree(json.readTree(in).get("oslo.message").asText());
        }
    }

    private JsonNode build(String taskState) throws IOException {
        JsonNode cast = inner("snapshot_instance.cast.json");
        JsonNode instance = cast.path("args").path("instance").path("nova_object.data");
        SnapshotPayloads.Initiator who = new SnapshotPayloads.Initiator(cast.get("_context_request_id").asText(),
                cast.get("_context_user_id").asText(), cast.get("_context_project_id").asText());
        return payloads.snapshotPayload(instance, who, taskState, cast.path("args").path("image_id").asText(), null);
    }

    @Test
    void theStartPayloadIsNovasOwn() throws IOException {
        assertEquals(inner("instance.snapshot.start.notification.json").get("payload"), build("image_snapshot"));
    }

    @Test
    void theEndPayloadIsNovasOwn() throws IOException {
        assertEquals(inner("instance.snapshot.end.notification.json").get("payload"), build(null));
    }

    /** nova 26's {@code InstanceUpdatePayload} 2.0: {@code InstancePayload}'s fields and four of its own. */
    private static final Set<String> UPDATE_FIELDS = new TreeSet<>(Set.of("uuid", "user_id", "tenant_id",
            "reservation_id", "display_name", "display_description", "host_name", "host", "node", "os_type",
            "architecture", "availability_zone", "flavor", "image_uuid", "key_name", "kernel_id", "ramdisk_id",
            "created_at", "launched_at", "terminated_at", "deleted_at", "updated_at", "state", "power_state",
            "task_state", "progress", "ip_addresses", "block_devices", "metadata", "locked", "auto_disk_config",
            "request_id", "action_initiator_user", "action_initiator_project", "locked_reason",
            "state_update", "audit_period", "old_display_name", "tags"));

    @Test
    void theUpdatePayloadHasNovasFieldsAndTheInstanceOfTheSnapshotPayload() throws IOException {
        JsonNode cast = inner("snapshot_instance.cast.json");
        JsonNode instance = cast.path("args").path("instance").path("nova_object.data");
        SnapshotPayloads.Initiator who = new SnapshotPayloads.Initiator(cast.get("_context_request_id").asText(),
                cast.get("_context_user_id").asText(), cast.get("_context_project_id").asText());
        JsonNode update = payloads.updatePayload(instance, who, "image_snapshot", "image_pending_upload",
                Instant.parse("2026-12-01T23:41:07.123Z"));

        assertEquals("InstanceUpdatePayload", update.get("nova_object.name").asText());
        assertEquals("2.0", update.get("nova_object.version").asText());
        JsonNode data = update.get("nova_object.data");
        Set<String> fields = new TreeSet<>();
        data.fieldNames().forEachRemaining(fields::add);
        assertEquals(UPDATE_FIELDS, fields);

        JsonNode state = data.get("state_update");
        assertEquals("InstanceStateUpdatePayload", state.get("nova_object.name").asText());
        assertEquals("active", state.at("/nova_object.data/old_state").asText());
        assertEquals("active", state.at("/nova_object.data/state").asText());
        assertEquals("image_snapshot", state.at("/nova_object.data/old_task_state").asText());
        assertEquals("image_pending_upload", state.at("/nova_object.data/new_task_state").asText());
        assertEquals("image_pending_upload", data.get("task_state").asText());
        assertEquals("2026-12-01T00:00:00Z", data.at("/audit_period/nova_object.data/audit_period_beginning").asText());
        assertEquals("2026-12-01T23:41:07Z", data.at("/audit_period/nova_object.data/audit_period_ending").asText());

        // every InstancePayload field is the same as in the snapshot payload nova produced
        JsonNode snapshot = inner("instance.snapshot.start.notification.json").at("/payload/nova_object.data");
        int compared = 0;
        for (Iterator<String> it = snapshot.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equals("task_state") || field.equals("snapshot_image_id") || field.equals("fault")) {
                continue;
            }
            assertEquals(snapshot.get(field), data.get(field), field);
            compared++;
        }
        assertTrue(compared >= 30, "compared " + compared + " fields");
    }

    @Test
    void aFinishedTaskGoesBackToNoTaskState() throws IOException {
        JsonNode cast = inner("snapshot_instance.cast.json");
        JsonNode instance = cast.path("args").path("instance").path("nova_object.data");
        JsonNode data = payloads.updatePayload(instance, new SnapshotPayloads.Initiator(null, null, null),
                "image_uploading", null, Instant.now()).get("nova_object.data");
        assertTrue(data.get("task_state").isNull());
        assertTrue(data.at("/state_update/nova_object.data/new_task_state").isNull());
        assertEquals("image_uploading", data.at("/state_update/nova_object.data/old_task_state").asText());
    }
}
