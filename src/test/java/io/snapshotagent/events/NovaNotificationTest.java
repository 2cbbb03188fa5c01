package io.snapshotagent.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NovaNotificationTest {

    private final ObjectMapper json = new ObjectMapper();

    private JsonNode sample(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/rpc/" + name)) {
            return json.readTree(in);
        }
    }

    @Test
    void theEnvelopeAndFieldsAreNovas() throws IOException {
        JsonNode sampleOuter = sample("instance.snapshot.start.notification.json");
        JsonNode sampleInner = json.readTree(sampleOuter.get("oslo.message").asText());
        NovaNotification n = NovaNotification.of("feas-compute1", "instance.snapshot.start", "INFO",
                sampleInner.get("payload"), Instant.parse("2026-11-25T22:48:39.496812Z"), "versioned_notifications");

        JsonNode outer = json.readTree(n.body(json));
        assertEquals(Set.of("oslo.version", "oslo.message"), names(outer));
        assertEquals("2.0", outer.get("oslo.version").asText());
        JsonNode inner = json.readTree(outer.get("oslo.message").asText());
        Set<String> novaKeys = new TreeSet<>(Set.of("message_id", "publisher_id", "event_type", "priority", "payload", "timestamp"));
        assertTrue(names(sampleInner).containsAll(novaKeys));
        assertEquals(novaKeys, names(inner));
        assertEquals(sampleInner.get("timestamp"), inner.get("timestamp"));
        assertEquals(sampleInner.get("event_type"), inner.get("event_type"));
        assertEquals(sampleInner.get("priority"), inner.get("priority"));
        assertEquals(sampleInner.get("payload"), inner.get("payload"));
        assertEquals("snapshot-agent:feas-compute1", inner.get("publisher_id").asText());
        assertEquals("versioned_notifications.info", n.routingKey());
        assertEquals("versioned_notifications.info", sample("instance.snapshot.start.notification.meta.json")
                .get("routing_key").asText());
    }

    @Test
    void errorsGoToTheErrorTopic() {
        assertEquals("versioned_notifications.error", NovaNotification.of("h", "instance.snapshot.error", "ERROR",
                json.nullNode(), Instant.EPOCH, "versioned_notifications").routingKey());
        assertEquals("1970-01-01 00:00:00.000000", NovaNotification.TIMESTAMP.format(Instant.EPOCH));
    }

    private static Set<String> names(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
