package io.snapshotagent.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.snapshotagent.events.OutboxEvent;
import io.snapshotagent.hypervisor.StackGuest;
import io.snapshotagent.task.SnapshotTask;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One snapshot request as nova-api makes it, for a real guest of the stack, with the agent's
 * notifications about that instance collected from a queue bound before the cast.
 */
public final class SnapshotRun implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection connection;
    private final Channel channel;
    private final String queue;
    private final UUID instance;
    private final List<JsonNode> events = new ArrayList<>();

    public SnapshotRun(String brokerHost, int brokerPort, UUID instance) throws Exception {
        this.connection = NovaCasts.connect(brokerHost, brokerPort);
        this.channel = connection.createChannel();
        this.queue = channel.queueDeclare().getQueue();
        channel.queueBind(queue, "nova", "versioned_notifications.*");
        this.instance = instance;
    }

    /** The captured cast ({@code sample}) rewritten for {@code guest} and {@code image}. */
    public static byte[] castFor(String sample, StackGuest guest, UUID image, String host) {
        try {
            ObjectNode outer = (ObjectNode) JSON.readTree(NovaCasts.cast(sample, image, guest.uuid()));
            ObjectNode inner = (ObjectNode) JSON.readTree(outer.get("oslo.message").asText());
            ObjectNode data = (ObjectNode) inner.at("/args/instance/nova_object.data");
            data.put("host", host);
            data.put("image_ref", guest.imageRef());
            ((ObjectNode) data.get("system_metadata")).put("image_base_image_ref", guest.imageRef());
            outer.put("oslo.message", inner.toString());
            return JSON.writeValueAsBytes(outer);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void publish(String routingKey, byte[] body) throws IOException {
        NovaCasts.publish(channel, routingKey, body);
    }

    /** Every notification about the instance so far, in arrival order. */
    public List<JsonNode> events() throws IOException {
        GetResponse r;
        while ((r = channel.basicGet(queue, true)) != null) {
            JsonNode message = JSON.readTree(JSON.readTree(r.getBody()).get("oslo.message").asText());
            if (instance.toString().equals(message.at("/payload/nova_object.data/uuid").asText())) {
                events.add(message);
            }
        }
        return events;
    }

    /** {@code event_type}, and for {@code instance.update} its {@code old -> new} task state. */
    public List<String> eventSummary() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events()) {
            String type = e.get("event_type").asText();
            if (type.equals("instance.update")) {
                JsonNode s = e.at("/payload/nova_object.data/state_update/nova_object.data");
                type += " " + s.path("old_task_state").asText("None") + "->" + s.path("new_task_state").asText("None");
            }
            out.add(type);
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        channel.close();
        connection.close();
    }

    /**
     * The task of {@code image} once it has an outcome and the broker has confirmed all its events,
     * so no event of it can reach a queue a later test binds.
     */
    public static SnapshotTask finished(UUID image) {
        NovaCasts.await("the task of image " + image + " finished", Duration.ofSeconds(120), () -> task(image) != null
                && task(image).finished());
        SnapshotTask task = task(image);
        NovaCasts.await("the events of task " + task.id + " published", Duration.ofSeconds(30), () -> QuarkusTransaction
                .requiringNew().call(() -> OutboxEvent.count("taskId = ?1 and publishedAt is null", task.id)) == 0);
        return task;
    }

    public static SnapshotTask task(UUID image) {
        return QuarkusTransaction.requiringNew().call(() -> SnapshotTask.find("imageId", image).firstResult());
    }

    /** Waits until a process whose command line matches {@code pattern} runs (and, if {@code kill}, SIGKILLs it). */
    public static void awaitProcess(String pattern, boolean kill) {
        NovaCasts.await((kill ? "killing " : "seeing ") + pattern, Duration.ofSeconds(60), () -> {
            try {
                List<String> c = kill ? List.of("pkill", "-KILL", "-f", pattern) : List.of("pgrep", "-f", pattern);
                return new ProcessBuilder(c).start().waitFor() == 0;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Runs a command of the stack's tools; returns stdout, fails on a non-zero exit. */
    public static String sh(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code rbd ARGS} as client.admin of the stack's cluster. */
    public static String rbd(String cephConf, String... args) {
        List<String> c = new ArrayList<>(List.of("timeout", "60", "rbd", "-c", cephConf, "--id", "admin"));
        c.addAll(List.of(args));
        return sh(c.toArray(String[]::new));
    }

    /** SHA-256 of {@code rbd export SPEC}, the way the guest tool checks disks. */
    public static String rbdSha256(String cephConf, String spec) {
        return sh("sh", "-c", "timeout 120 rbd -c '" + cephConf + "' --id admin export '" + spec
                + "' - 2>/dev/null | sha256sum | cut -d' ' -f1").strip();
    }

    public static String domstate(UUID instance) {
        return sh("virsh", "-c", "qemu:///system", "domstate", instance.toString()).strip();
    }

    /** Scratch directories left under the snapshots directory. */
    public static List<Path> scratchLeftovers(Path snapshotsDirectory) throws IOException {
        if (!Files.isDirectory(snapshotsDirectory)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(snapshotsDirectory)) {
            return s.filter(p -> p.getFileName().toString().startsWith("snapshot-")).toList();
        }
    }
}
