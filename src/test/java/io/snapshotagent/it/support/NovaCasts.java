package io.snapshotagent.it.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Publishes casts as nova-api does (exchange nova, oslo's AMQP properties) from the captured samples. */
public final class NovaCasts {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AMQP.BasicProperties OSLO_PROPERTIES = new AMQP.BasicProperties.Builder()
            .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).priority(0).build();

    private NovaCasts() {
    }

    /** A file under src/test/resources/rpc/. */
    public static byte[] resource(String name) {
        try (InputStream in = NovaCasts.class.getResourceAsStream("/rpc/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource rpc/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A captured cast with its image id (and, if given, instance uuid) replaced and a new {@code _unique_id}. */
    public static byte[] cast(String sample, UUID image, UUID instance) {
        try {
            ObjectNode outer = (ObjectNode) JSON.readTree(resource(sample));
            ObjectNode inner = (ObjectNode) JSON.readTree(outer.get("oslo.message").asText());
            ((ObjectNode) inner.get("args")).put("image_id", image.toString());
            if (instance != null) {
                ((ObjectNode) inner.get("args").get("instance").get("nova_object.data")).put("uuid", instance.toString());
            }
            inner.put("_unique_id", UUID.randomUUID().toString().replace("-", ""));
            outer.put("oslo.message", inner.toString());
            return JSON.writeValueAsBytes(outer);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Connection connect(String host, int port) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(host);
        f.setPort(port);
        return f.newConnection("snapshot-agent-it");
    }

    /** As oslo.messaging publishes a cast to {@code <topic>.<host>} on exchange nova. */
    public static void publish(Channel channel, String routingKey, byte[] body) throws IOException {
        channel.basicPublish("nova", routingKey, OSLO_PROPERTIES, body);
    }

    public static void publishAll(String brokerHost, int brokerPort, String routingKey, List<byte[]> bodies) throws Exception {
        try (Connection c = connect(brokerHost, brokerPort); Channel ch = c.createChannel()) {
            for (byte[] body : bodies) {
                publish(ch, routingKey, body);
            }
        }
    }

    /** Polls {@code condition} every 200 ms; fails the test with {@code what} when time is up. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for " + what);
            }
        }
        fail(what + " within " + timeout.toSeconds() + " s");
    }
}
