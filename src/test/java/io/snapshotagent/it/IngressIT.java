package io.snapshotagent.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.it.support.NovaCasts;
import io.snapshotagent.rpc.DeadLetters;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskService;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.snapshotagent.it.support.NovaCasts.await;
import static io.snapshotagent.it.support.NovaCasts.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * nova casts through the real RabbitMQ into tasks in the real PostgreSQL. The agent serves the
 * captured sample's host, so the sample is published byte for byte.
 */
@QuarkusTest
@TestProfile(IngressIT.SampleHost.class)
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class IngressIT {

    static final String HOST = "feas-compute1";
    static final UUID SAMPLE_IMAGE = UUID.fromString("298ff71e-0dae-42a0-b492-72ea4cad052f");

    public static class SampleHost implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("snapshot.host", HOST);
        }
    }

    @Inject
    TaskService tasks;

    @ConfigProperty(name = "rabbitmq-host")
    String rabbitHost;

    @ConfigProperty(name = "rabbitmq-port")
    int rabbitPort;

    private Connection connect() throws Exception {
        return NovaCasts.connect(rabbitHost, rabbitPort);
    }

    private static void publish(Channel ch, byte[] body) throws IOException {
        NovaCasts.publish(ch, "snapshot." + HOST, body);
    }

    private static byte[] sampleWithImage(UUID image) {
        return NovaCasts.cast("snapshot_instance.cast.json", image, null);
    }

    private static long tasksFor(UUID image) {
        return QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId", image));
    }

    @Test
    void theCapturedCastDeliveredTwiceBecomesExactlyOneTask() throws Exception {
        QuarkusTransaction.requiringNew().run(() -> SnapshotTask.delete("imageId", SAMPLE_IMAGE));
        try (Connection c = connect(); Channel ch = c.createChannel()) {
            publish(ch, resource("snapshot_instance.cast.json"));
            publish(ch, resource("snapshot_instance.cast.json"));
        }
        await("a task for the sample's image", Duration.ofSeconds(30), () -> tasksFor(SAMPLE_IMAGE) == 1);
        // the duplicate has had time to arrive too
        Thread.sleep(2000);
        assertEquals(1, tasksFor(SAMPLE_IMAGE));
        SnapshotTask task = QuarkusTransaction.requiringNew().call(() -> SnapshotTask.find("imageId", SAMPLE_IMAGE).firstResult());
        assertEquals(UUID.fromString("1009d175-65d9-41c4-bd87-9f3f177b84f2"), task.instanceUuid);
        assertEquals("snapshot_instance", task.method);
        assertEquals("req-8431df9b-c2ba-4ea0-af97-c5a9c8a00649", task.requestId);
        assertEquals("6a6ddc22735f49608c32c6646390ac96", task.uniqueId);
        assertFalse(task.request.contains("gAAAAAB"), "the user's token was stored: " + task.request);
        await("the task to finish", Duration.ofSeconds(30), () -> tasks.find(task.id).finished());
        assertEquals(List.of("null>image_snapshot_pending", "image_snapshot_pending>image_snapshot", "image_snapshot>null"),
                tasks.history(task.id).stream().map(h -> h.fromState + ">" + h.toState).toList());
        assertEquals("instance-not-found", tasks.find(task.id).errorCode);
    }

    @Test
    void castsArrivingWhilePostgresqlIsDownWaitAndAreRecordedAfterwards() throws Exception {
        List<UUID> images = new java.util.ArrayList<>();
        LocalStack.run("stop", "postgresql");
        try {
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                for (int i = 0; i < 20; i++) {
                    UUID image = UUID.randomUUID();
                    images.add(image);
                    publish(ch, sampleWithImage(image));
                }
            }
            // the listener is retrying now; nothing may be acknowledged or dead-lettered meanwhile
            Thread.sleep(3000);
        } finally {
            LocalStack.run("up");
        }
        await("all 20 casts recorded and run after PostgreSQL came back", Duration.ofSeconds(90), () -> {
            try {
                return QuarkusTransaction.requiringNew().call(() ->
                        SnapshotTask.count("imageId in ?1 and outcome is not null", images)) == 20;
            } catch (RuntimeException e) {
                return false;
            }
        });
        assertEquals(20L, QuarkusTransaction.requiringNew().call(() -> SnapshotTask.count("imageId in ?1", images)));
    }

    @Test
    void everyBadMessageIsDeadLetteredWithItsReasonAndTheConsumerGoesOn() throws Exception {
        String dlq = "snapshot-agent." + HOST + ".dlq";
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : new String(resource("bad/expected.tsv"), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] f = line.split("\t");
                expected.put(f[0], f[1]);
            }
        }
        UUID fresh = UUID.randomUUID();
        try (Connection c = connect(); Channel ch = c.createChannel()) {
            ch.queuePurge(dlq);
            for (String file : expected.keySet()) {
                publish(ch, resource("bad/" + file));
            }
            publish(ch, new byte[2 << 20]);   // oversized
            publish(ch, sampleWithImage(fresh));
            await("every bad message in " + dlq, Duration.ofSeconds(60), () -> {
                try {
                    return ch.messageCount(dlq) == expected.size() + 1;
                } catch (IOException e) {
                    return false;
                }
            });
            Map<String, String> reasons = new HashMap<>();
            GetResponse r;
            while ((r = ch.basicGet(dlq, true)) != null) {
                byte[] body = r.getBody();
                String reason = String.valueOf(r.getProps().getHeaders().get(DeadLetters.REASON_HEADER));
                assertNotNull(r.getProps().getHeaders().get(DeadLetters.DETAIL_HEADER));
                String file = expected.keySet().stream().filter(f -> Arrays.equals(resource("bad/" + f), body))
                        .findFirst().orElse(body.length > (1 << 20) ? "oversized" : "unknown body");
                reasons.put(file, reason);
            }
            Map<String, String> want = new HashMap<>(expected);
            want.put("oversized", "oversized");
            assertEquals(want, reasons);
        }
        await("the valid cast after the bad ones", Duration.ofSeconds(30), () -> tasksFor(fresh) == 1);
        SnapshotTask task = QuarkusTransaction.requiringNew().call(() -> SnapshotTask.find("imageId", fresh).firstResult());
        await("the valid cast's task to run", Duration.ofSeconds(30), () -> tasks.find(task.id).finished());
    }
}
