package io.snapshotagent.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.events.OutboxEvent;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.NovaCasts;
import io.snapshotagent.task.NewTask;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nova-format notifications for a cast, through the outbox, on the real broker. */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class EventsIT {

    @ConfigProperty(name = "rabbitmq-host")
    String rabbitHost;

    @ConfigProperty(name = "rabbitmq-port")
    int rabbitPort;

    private final ObjectMapper json = new ObjectMapper();

    private record Event(String routingKey, String messageId, JsonNode message) {
        String type() {
            return message.get("event_type").asText();
        }

        JsonNode data() {
            return message.path("payload").path("nova_object.data");
        }
    }

    /** Drains {@code queue}, keeping the notifications about {@code instance}. */
    private List<Event> drain(Channel ch, String queue, UUID instance, List<Event> into) throws Exception {
        GetResponse r;
        while ((r = ch.basicGet(queue, true)) != null) {
            JsonNode outer = json.readTree(r.getBody());
            JsonNode message = json.readTree(outer.get("oslo.message").asText());
            if (instance.toString().equals(message.path("payload").path("nova_object.data").path("uuid").asText())) {
                into.add(new Event(r.getEnvelope().getRoutingKey(), r.getProps().getMessageId(), message));
            }
        }
        return into;
    }

    private static String stateUpdate(Event e) {
        JsonNode s = e.data().path("state_update").path("nova_object.data");
        return s.path("old_task_state").asText("None") + "->" + s.path("new_task_state").asText("None");
    }

    @Inject
    TaskService tasks;

    private static void rabbitmqctl(String action) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", action).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "rabbitmqctl " + action + ": " + out);
    }

    /**
     * The broker restarts while events wait. nova's exchange is not durable, so the restart drops it
     * and every binding to it (nova's consumers declare theirs again on reconnect); what the agent
     * owes is to publish every waiting event, confirmed, once the broker is back — and to take casts again.
     */
    @Test
    void eventsWrittenWhileTheBrokerIsDownArePublishedAfterItIsBack() throws Exception {
        UUID image = UUID.randomUUID();
        UUID id;
        rabbitmqctl("stop_app");
        try {
            id = tasks.accept(new NewTask(image, UUID.randomUUID(), "snapshot_instance", null, null, "6.0", null,
                    "req-outage", null, "u", "p", "{}")).task().id;
            tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "snapshot started");
            tasks.fail(id, TaskState.IMAGE_SNAPSHOT, "not-implemented", "no backend");
            Thread.sleep(2000);
            assertEquals(4L, QuarkusTransaction.requiringNew().call(() ->
                    OutboxEvent.count("taskId = ?1 and publishedAt is null", id)), "the events must wait in the outbox");
        } finally {
            rabbitmqctl("start_app");
        }
        await("the waiting events confirmed by the broker after its restart", Duration.ofSeconds(120), () ->
                QuarkusTransaction.requiringNew().call(() -> OutboxEvent.count("taskId = ?1 and publishedAt is not null", id)) == 4);
        List<OutboxEvent> rows = QuarkusTransaction.requiringNew().call(() -> OutboxEvent.list("taskId = ?1 order by seq", id));
        assertEquals(List.of("instance.update", "instance.snapshot.start", "instance.update", "instance.snapshot.error"),
                rows.stream().map(r -> r.eventType).toList());
        for (int i = 1; i < rows.size(); i++) {
            assertTrue(!rows.get(i).publishedAt.isBefore(rows.get(i - 1).publishedAt), "published out of order");
        }

        UUID next = UUID.randomUUID();
        await("a cast accepted after the broker restart", Duration.ofSeconds(120), () -> {
            try (Connection c = NovaCasts.connect(rabbitHost, rabbitPort); Channel ch = c.createChannel()) {
                if (QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId", next)) == 0) {
                    NovaCasts.publish(ch, "snapshot." + IngressIT.HOST,
                            NovaCasts.cast("snapshot_instance.cast.json", next, null));
                    Thread.sleep(2000);
                }
                return QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId", next)) == 1;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aCastProducesStartUpdatesThenErrorInNovasFormat() throws Exception {
        UUID image = UUID.randomUUID();
        UUID instance = UUID.randomUUID();
        try (Connection c = NovaCasts.connect(rabbitHost, rabbitPort); Channel ch = c.createChannel()) {
            String queue = ch.queueDeclare().getQueue();
            ch.queueBind(queue, "nova", "versioned_notifications.*");
            NovaCasts.publish(ch, "snapshot." + IngressIT.HOST, NovaCasts.cast("snapshot_instance.cast.json", image, instance));
            List<Event> events = new ArrayList<>();
            await("update, start, update and error notifications", Duration.ofSeconds(30), () -> {
                try {
                    return drain(ch, queue, instance, events).size() >= 4;
                } catch (Exception e) {
                    return false;
                }
            });
            Thread.sleep(500);
            drain(ch, queue, instance, events);
            assertEquals(List.of("instance.update", "instance.snapshot.start", "instance.update", "instance.snapshot.error"),
                    events.stream().map(Event::type).toList());
            Event claimed = events.get(0);
            Event start = events.get(1);
            Event reverted = events.get(2);
            Event error = events.get(3);
            assertEquals("versioned_notifications.info", start.routingKey());
            assertEquals("INFO", start.message().get("priority").asText());
            assertEquals("snapshot-agent:" + IngressIT.HOST, start.message().get("publisher_id").asText());
            assertTrue(start.message().get("timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}"));
            assertEquals(start.message().get("message_id").asText(), start.messageId());
            assertEquals("InstanceActionSnapshotPayload", start.message().path("payload").path("nova_object.name").asText());
            assertEquals(image.toString(), start.data().get("snapshot_image_id").asText());
            assertEquals("image_snapshot", start.data().get("task_state").asText());
            assertEquals("vm1", start.data().get("display_name").asText());
            assertEquals("m1.small", start.data().path("flavor").path("nova_object.data").path("name").asText());

            assertEquals("InstanceUpdatePayload", claimed.message().path("payload").path("nova_object.name").asText());
            assertEquals("versioned_notifications.info", claimed.routingKey());
            assertEquals("image_snapshot_pending->image_snapshot", stateUpdate(claimed));
            assertEquals("image_snapshot->None", stateUpdate(reverted));
            assertTrue(reverted.data().get("task_state").isNull());

            assertEquals("versioned_notifications.error", error.routingKey());
            assertEquals("ERROR", error.message().get("priority").asText());
            assertEquals("instance-not-found", error.data().path("fault").path("nova_object.data").path("exception").asText());
        }
        await("the outbox marked published", Duration.ofSeconds(10), () -> QuarkusTransaction.requiringNew().call(() ->
                OutboxEvent.count("publishedAt is null and body is not null")) == 0);
    }

    /** A refused cast still tells its sender, when its ids can be read: an error event naming both. */
    @Test
    void aDeadLetteredCastWithReadableIdsGivesAnErrorEvent() throws Exception {
        UUID image = UUID.randomUUID();
        UUID instance = UUID.randomUUID();
        ObjectNode outer = (ObjectNode) json.readTree(NovaCasts.cast("snapshot_instance.cast.json", image, instance));
        ObjectNode inner = (ObjectNode) json.readTree(outer.get("oslo.message").asText());
        ((ObjectNode) inner.at("/args/instance/nova_object.data")).put("host", "some-other-host");
        outer.put("oslo.message", inner.toString());
        try (Connection c = NovaCasts.connect(rabbitHost, rabbitPort); Channel ch = c.createChannel()) {
            String queue = ch.queueDeclare().getQueue();
            ch.queueBind(queue, "nova", "versioned_notifications.error");
            NovaCasts.publish(ch, "snapshot." + IngressIT.HOST, json.writeValueAsBytes(outer));
            List<Event> events = new ArrayList<>();
            await("the error notification of the dead-lettered cast", Duration.ofSeconds(30), () -> {
                try {
                    return !drain(ch, queue, instance, events).isEmpty();
                } catch (Exception e) {
                    return false;
                }
            });
            Event error = events.get(0);
            assertEquals("instance.snapshot.error", error.type());
            assertEquals(image.toString(), error.data().get("snapshot_image_id").asText());
            JsonNode fault = error.data().path("fault").path("nova_object.data");
            assertEquals("wrong-host", fault.path("exception").asText());
            assertTrue(fault.path("exception_message").asText().contains("some-other-host"), fault.toString());
        }
        assertEquals(0L, QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId", image)));
    }
}
