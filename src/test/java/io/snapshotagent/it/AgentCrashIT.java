package io.snapshotagent.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.snapshotagent.events.OutboxRelay;
import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.it.support.NovaCasts;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged agent is killed with SIGKILL while a stream of casts arrives, then started again:
 * every cast ends as exactly one finished task, and every task's events reach the broker. The
 * agent runs as its own host ({@value #HOST}) so no other agent of the test run takes its casts.
 */
class AgentCrashIT {

    static final String HOST = "crash-node-1";
    private static final int CASTS = 300;
    private static final int HTTP_PORT = 8792;  // not the Quarkus tests' 8781: their agent may still run

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void killedMidStreamNothingIsLostOrDuplicated() throws Exception {
        Map<String, String> props = LocalStack.upAndProperties();
        props.put("snapshot.host", HOST);
        props.put("quarkus.http.port", Integer.toString(HTTP_PORT));
        String db = props.get("quarkus.datasource.jdbc.url");
        String dbUser = props.get("quarkus.datasource.username");
        String dbPassword = props.get("quarkus.datasource.password");
        String rabbit = props.get("rabbitmq-host");
        int rabbitPort = Integer.parseInt(props.get("rabbitmq-port"));

        List<UUID> images = new ArrayList<>();
        List<byte[]> casts = new ArrayList<>();
        for (int i = 0; i < CASTS; i++) {
            UUID image = UUID.randomUUID();
            images.add(image);
            // ten instances: the per-instance queues matter for what is in flight at the kill
            casts.add(forHost(NovaCasts.cast("snapshot_instance.cast.json", image,
                    UUID.nameUUIDFromBytes(("crash-" + i % 10).getBytes()))));
        }

        try (Connection c = NovaCasts.connect(rabbit, rabbitPort); Channel ch = c.createChannel()) {
            String events = ch.queueDeclare().getQueue();
            ch.queueBind(events, "nova", "versioned_notifications.*");

            Process first = start(props, "first");
            try {
                awaitConsumer(c, HOST);
                NovaCasts.publishAll(rabbit, rabbitPort, "snapshot." + HOST, casts);
                await("some tasks recorded before the kill", Duration.ofSeconds(60),
                        () -> count(db, dbUser, dbPassword, images, "true") >= 40);
            } finally {
                first.destroyForcibly();
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            }
            long atKill = count(db, dbUser, dbPassword, images, "true");
            assertTrue(atKill < CASTS, "the kill came too late to prove anything: all " + atKill + " recorded");

            Process second = start(props, "second");
            try {
                await("every cast a finished task after the restart", Duration.ofSeconds(180),
                        () -> count(db, dbUser, dbPassword, images, "outcome is not null") == CASTS);
                await("every event of those tasks confirmed", Duration.ofSeconds(60), () -> unpublished(db, dbUser, dbPassword, images) == 0);
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }

            assertEquals(CASTS, count(db, dbUser, dbPassword, images, "true"), "one task per cast");
            assertEquals(CASTS, count(db, dbUser, dbPassword, images,
                    "outcome = 'FAILED' and error_code in ('instance-not-found', 'agent-restarted')"));

            // what consumers saw: one start and one error per image; repeats (same message_id) only of
            // the one batch whose confirms may have arrived in the instant of the kill, before its mark
            Map<String, Integer> seen = new HashMap<>();
            Map<UUID, List<String>> byImage = new HashMap<>();
            Set<String> wanted = new HashSet<>();
            images.forEach(i -> wanted.add(i.toString()));
            await("the events on the broker", Duration.ofSeconds(30), () -> {
                try {
                    GetResponse r;
                    while ((r = ch.basicGet(events, true)) != null) {
                        JsonNode m = json.readTree(json.readTree(r.getBody()).get("oslo.message").asText());
                        String image = m.at("/payload/nova_object.data/snapshot_image_id").asText();
                        if (!wanted.contains(image)) {
                            continue;
                        }
                        if (seen.merge(m.get("message_id").asText(), 1, Integer::sum) == 1) {
                            byImage.computeIfAbsent(UUID.fromString(image), k -> new ArrayList<>()).add(m.get("event_type").asText());
                        }
                    }
                    return byImage.values().stream().filter(l -> l.contains("instance.snapshot.error")).count() == CASTS;
                } catch (Exception e) {
                    return false;
                }
            });
            for (UUID image : images) {
                List<String> types = byImage.get(image);
                assertEquals(List.of("instance.snapshot.start", "instance.snapshot.error"), types, "events of " + image);
            }
            long repeats = seen.values().stream().filter(n -> n > 1).count();
            System.out.printf("AgentCrashIT: %d of %d casts recorded at the kill, %d failed agent-restarted, %d events repeated%n",
                    atKill, CASTS, count(db, dbUser, dbPassword, images, "error_code = 'agent-restarted'"), repeats);
            assertTrue(repeats <= OutboxRelay.BATCH, repeats + " events were published twice");
            assertEquals(0, ch.messageCount("snapshot-agent." + HOST + ".dlq"), "nothing was dead-lettered");
        }
    }

    private byte[] forHost(byte[] cast) throws Exception {
        ObjectNode outer = (ObjectNode) json.readTree(cast);
        ObjectNode inner = (ObjectNode) json.readTree(outer.get("oslo.message").asText());
        ((ObjectNode) inner.at("/args/instance/nova_object.data")).put("host", HOST);
        outer.put("oslo.message", inner.toString());
        return json.writeValueAsBytes(outer);
    }

    static Process start(Map<String, String> props, String name) throws Exception {
        Path jar = LocalStack.projectDir().resolve("target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), "package the agent first: " + jar);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        props.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar.toString());
        Path log = LocalStack.projectDir().resolve("target/agent-crash-" + name + ".log");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Casts published before the agent's queue is bound would be dropped by nova's exchange. */
    static void awaitConsumer(Connection c, String host) {
        await("the agent consuming from its queue", Duration.ofSeconds(60), () -> {
            try (Channel probe = c.createChannel()) {
                return probe.consumerCount("snapshot-agent." + host) > 0;
            } catch (Exception e) {
                // the queue does not exist yet: the passive declare closed the channel
                return false;
            }
        });
    }

    private static long count(String url, String user, String password, List<UUID> images, String condition) {
        return query(url, user, password, "SELECT count(*) FROM snapshot_task WHERE image_id = ANY (?) AND " + condition, images);
    }

    private static long unpublished(String url, String user, String password, List<UUID> images) {
        return query(url, user, password, """
                SELECT count(*) FROM outbox_event e JOIN snapshot_task t ON t.id = e.task_id
                WHERE t.image_id = ANY (?) AND e.published_at IS NULL""", images);
    }

    private static long query(String url, String user, String password, String sql, List<UUID> images) {
        try (var c = DriverManager.getConnection(url, user, password); PreparedStatement s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("uuid", images.toArray()));
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
