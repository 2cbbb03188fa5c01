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

/**
 * Turns task changes into nova's snapshot notifications, written to the outbox in the same
 * transaction: {@code instance.snapshot.start} when a task is claimed, {@code .end} when it
 * succeeds, {@code .error} (priority ERROR, with the fault) when it fails. One copy per topic of
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
        if (from == TaskState.IMAGE_SNAPSHOT_PENDING && (to == TaskState.IMAGE_SNAPSHOT || to == TaskState.IMAGE_BACKUP)) {
            record(task, "instance.snapshot.start", "INFO", to.novaName(), null);
        } else if (outcome == TaskOutcome.SUCCEEDED) {
            record(task, "instance.snapshot.end", "INFO", null, null);
        } else if (outcome == TaskOutcome.FAILED) {
            // nova's payload on error still carries the state the task failed in
            record(task, "instance.snapshot.error", "ERROR", from == null ? null : from.novaName(), fault(task));
        }
    }

    private void record(SnapshotTask task, String eventType, String priority, String taskState, JsonNode fault) {
        JsonNode request = request(task);
        SnapshotPayloads.Initiator who = new SnapshotPayloads.Initiator(task.requestId,
                request.path("context").path("userId").asText(task.userId),
                request.path("context").path("projectId").asText(task.projectId));
        JsonNode payload = payloads.snapshotPayload(request.path("instance_primitive"), who, taskState,
                task.imageId.toString(), fault);
        Instant now = Instant.now();
        for (String topic : topics) {
            NovaNotification n = NovaNotification.of(host, eventType, priority, payload, now, topic);
            OutboxEvent row = new OutboxEvent();
            row.id = n.messageId();
            row.taskId = task.id;
            row.eventType = eventType;
            row.routingKey = n.routingKey();
            row.body = n.body(json);
            row.createdAt = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
            row.persist();
        }
    }

    /** nova's {@code ExceptionPayload} 1.1 for the task's error. */
    private JsonNode fault(SnapshotTask task) {
        ObjectNode d = json.createObjectNode();
        d.put("module_name", "snapshot_agent");
        d.put("function_name", "snapshot_instance");
        d.put("exception", task.errorCode);
        d.put("exception_message", task.errorMessage);
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
