package io.snapshotagent.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/**
 * A versioned notification in oslo.messaging's wire format: the notification dict
 * ({@code message_id}, {@code publisher_id}, {@code event_type}, {@code priority}, {@code payload},
 * {@code timestamp}) inside envelope 2.0, as nova's {@code rpc.get_versioned_notifier} sends it.
 *
 * @param routingKey {@code <topic>.<priority>}, e.g. {@code versioned_notifications.info}
 */
public record NovaNotification(UUID messageId, String publisherId, String eventType, String priority,
                               JsonNode payload, Instant timestamp, String routingKey) {

    /** nova's {@code str(timeutils.utcnow())}: space separator, microseconds, no zone. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS")
            .withZone(ZoneOffset.UTC);

    public static NovaNotification of(String host, String eventType, String priority, JsonNode payload, Instant at,
            String topic) {
        return new NovaNotification(UUID.randomUUID(), "snapshot-agent:" + host, eventType, priority, payload, at,
                topic + "." + priority.toLowerCase());
    }

    /** The AMQP body. */
    public byte[] body(ObjectMapper json) {
        ObjectNode message = json.createObjectNode();
        message.put("message_id", messageId.toString());
        message.put("publisher_id", publisherId);
        message.put("event_type", eventType);
        message.put("priority", priority);
        message.set("payload", payload);
        message.put("timestamp", TIMESTAMP.format(timestamp));
        ObjectNode envelope = json.createObjectNode();
        envelope.put("oslo.version", "2.0");
        try {
            envelope.put("oslo.message", json.writeValueAsString(message));
            return json.writeValueAsBytes(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a notification", e);
        }
    }
}
