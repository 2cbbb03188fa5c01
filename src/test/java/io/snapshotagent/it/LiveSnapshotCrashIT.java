package io.snapshotagent.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.it.support.LocalStack;
import io.snapshotagent.it.support.NovaCasts;
import io.snapshotagent.it.support.SnapshotRun;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.snapshotagent.it.support.NovaCasts.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged agent is killed (SIGKILL) while libvirt mirrors a running guest's disk for a live
 * snapshot. After the restart the recovery hook must leave no block job, the domain defined and
 * running, no delta or scratch directory, and the task failed {@code agent-restarted}.
 */
class LiveSnapshotCrashIT {

    private static final String HOST = "crash-node-2";
    private static final int HTTP_PORT = 8793;
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void anAgentKilledDuringTheMirrorLeavesNothingAfterItsRestart() throws Exception {
        Map<String, String> props = LocalStack.upAndProperties();
        props.put("snapshot.host", HOST);
        props.put("quarkus.http.port", Integer.toString(HTTP_PORT));
        // 1 MiB/s: the mirror of a 32 MiB disk runs for half a minute, long enough to kill the agent in it
        props.put("snapshot.libvirt.live-snapshot.bandwidth", Integer.toString(1 << 20));
        Path snapshots = Path.of(props.get("snapshot.libvirt.snapshots-directory"));

        try (StackGuest guest = StackGuest.create("it-live-crash", "qcow2", 32)) {
            UUID image = createImage(props);
            Process first = AgentCrashIT.start(props, "live-first");
            try (Connection c = NovaCasts.connect(props.get("rabbitmq-host"), Integer.parseInt(props.get("rabbitmq-port")));
                 Channel ch = c.createChannel()) {
                AgentCrashIT.awaitConsumer(c, HOST);
                NovaCasts.publish(ch, "snapshot." + HOST, SnapshotRun.castFor("snapshot_instance.cast.json", guest, image, HOST));
                await("the block copy running", Duration.ofSeconds(90), () -> hasJob(guest.uuid()));
            } finally {
                first.destroyForcibly();
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            }
            assertTrue(hasJob(guest.uuid()), "the job outlives the agent: what recovery must clean up");

            Process second = AgentCrashIT.start(props, "live-second");
            try {
                await("the task ended by recovery", Duration.ofSeconds(90), () -> "agent-restarted".equals(errorCode(image)));
                assertFalse(hasJob(guest.uuid()), "no block job left");
                String dominfo = SnapshotRun.sh("virsh", "-c", "qemu:///system", "dominfo", guest.uuid().toString());
                assertTrue(dominfo.matches("(?s).*Persistent:\\s+yes.*"), dominfo);
                assertEquals("running", SnapshotRun.domstate(guest.uuid()));
                assertEquals(List.of(), SnapshotRun.scratchLeftovers(snapshots));
                try (Stream<Path> s = Files.walk(snapshots)) {
                    assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".delta")).toList());
                }
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean hasJob(UUID instance) {
        String out = SnapshotRun.sh("sh", "-c", "virsh -c qemu:///system blockjob " + instance + " vda 2>&1 || true");
        return out.contains("Block Copy") || out.contains("Mirror");
    }

    private String errorCode(UUID image) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + HTTP_PORT + "/v1/tasks?image=" + image)).build(),
                    HttpResponse.BodyHandlers.ofString());
            var tasks = json.readTree(r.body()).path("tasks");
            return tasks.isEmpty() ? null : tasks.get(0).path("errorCode").asText(null);
        } catch (Exception e) {
            return null;
        }
    }

    /** A queued image through Glance's API, as nova-api makes it (this test has no agent beans). */
    private static UUID createImage(Map<String, String> props) throws Exception {
        String token = SnapshotRun.sh("sh", "-c", "/usr/bin/python3 -c \"from keystoneauth1 import session; "
                + "from keystoneauth1.identity import v3; print(session.Session(auth=v3.Password(auth_url='"
                + props.get("snapshot.keystone.auth-url") + "', username='nova', password='"
                + props.get("snapshot.keystone.password") + "', project_name='service', user_domain_id='default', "
                + "project_domain_id='default')).get_token())\"").strip();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9292/v2/images"))
                .header("X-Auth-Token", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"it-live-crash\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return UUID.fromString(new ObjectMapper().readTree(r.body()).get("id").asText());
    }
}
