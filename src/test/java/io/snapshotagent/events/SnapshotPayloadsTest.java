package io.snapshotagent.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
