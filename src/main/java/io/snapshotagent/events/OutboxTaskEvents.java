package io.snapshotagent.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskEvents;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

/**
 * Turns task changes into nova's notifications, written to the outbox in the same transaction:
 * {@code instance.update} with the old and new task state on every transition, then
 * {@code instance.snapshot.start} when a task is claimed, {@code .end} when it succeeds,
 * {@code .error} (priority ERROR, with the fault) when it fails. One copy per topic of
 * {@code snapshot.notifications.topics}, as nova's {@code versioned_notifications_topics}.
 */
@ApplicationScoped
public class OutboxTaskEvents implements TaskEvents {

    private final ObjectMapper json;
    private final SnapshotPayloads payloads;
    private final String host;
    private final List<String> topics;

    OutboxTaskEvents(ObjectMapper json, AgentConfig config) {
        this.json = json;
        this.payloads = new SnapshotPayloads(json);
        this.host = config.host();
        this.topics = config.notifications().topics();
    }

    @Override
    @Transactional(Transactional.TxType.MANDATORY)
    public void changed(SnapshotTask task, TaskState from, TaskState to, TaskOutcome outcome) {
        if (from == null) {
            // nova-api sent the instance.update into image_snapshot_pending before its cast
            return;
        }
        Instant now = Instant.now();
        JsonNode request = request(task);
        JsonNode instance = request.path("instance_primitive");
        SnapshotPayloads.Initiator who = new SnapshotPayloads.Initiator(task.requestId,
                request.path("context").path("userId").asText(task.userId),
                request.path("context").path("projectId").asText(task.projectId));
        // nova saves the instance (instance.update) before it notifies the snapshot phase
        record(task.id, "instance.update", "INFO",
                payloads.updatePayload(instance, who, from.novaName(), to == null ? null : to.novaName(), now), now);
        String image = task.imageId.toString();
        if (from == TaskState.IMAGE_SNAPSHOT_PENDING && (to == TaskState.IMAGE_SNAPSHOT || to == TaskState.IMAGE_BACKUP)) {
            record(task.id, "instance.snapshot.start", "INFO",
                    payloads.snapshotPayload(instance, who, to.novaName(), image, null), now);
        } else if (outcome == TaskOutcome.SUCCEEDED) {
            record(task.id, "instance.snapshot.end", "INFO", payloads.snapshotPayload(instance, who, null, image, null), now);
        } else if (outcome == TaskOutcome.FAILED) {
            // nova's payload on error still carries the state the task failed in
            record(task.id, "instance.snapshot.error", "ERROR",
                    payloads.snapshotPayload(instance, who, from.novaName(), image,
                            fault(task.method, task.errorCode, task.errorMessage)), now);
        }
    }

    /**
     * An error event for a cast that was dead-lettered before it became a task, when its
     * instance or image id could be read: the caller learns of the refusal without reading the DLQ.
     */
    @Transactional
    public void rejected(String instanceUuid, String imageId, String reason, String detail) {
        ObjectNode instance = json.createObjectNode();
        instance.put("uuid", instanceUuid);
        instance.put("host", host);
        Instant now = Instant.now();
        record(null, "instance.snapshot.error", "ERROR",
                payloads.snapshotPayload(instance, new SnapshotPayloads.Initiator(null, null, null), null, imageId,
                        fault("decode_cast", reason, detail)), now);
    }

    private void record(UUID taskId, String eventType, String priority, JsonNode payload, Instant now) {
        for (String topic : topics) {
            NovaNotification n = NovaNotification.of(host, eventType, priority, payload, now, topic);
            OutboxEvent row = new OutboxEvent();
            row.id = n.messageId();
            row.taskId = taskId;
            row.host = host;
            row.eventType = eventType;
            row.routingKey = n.routingKey();
            row.body = n.body(json);
            row.createdAt = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
            row.persist();
        }
    }

    /** nova's {@code ExceptionPayload} 1.1 for the task's error. */
    private JsonNode fault(String function, String code, String message) {
        ObjectNode d = json.createObjectNode();
        d.put("module_name", "snapshot_agent");
        d.put("function_name", function);
        d.put("exception", code);
        d.put("exception_message", message);
        d.putNull("traceback");
        ObjectNode o = json.createObjectNode();
        o.put("nova_object.name", "ExceptionPayload");
        o.put("nova_object.namespace", "nova");
        o.put("nova_object.version", "1.1");
        o.set("nova_object.data", d);
        return o;
    }

    private JsonNode request(SnapshotTask task) {
        try {
            return json.readTree(task.request);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }
}
