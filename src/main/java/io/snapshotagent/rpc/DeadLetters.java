package io.snapshotagent.rpc;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.snapshotagent.config.AgentHost;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * Publishes refused messages, unchanged, to the agent's dead-letter queue with the reason in
 * headers. Done by the agent rather than by a broker-side reject, because RabbitMQ's own
 * dead-lettering cannot say why. Blocks until the broker confirms, so the original is only
 * acknowledged once its copy is safe.
 */
@ApplicationScoped
public class DeadLetters {

    public static final String REASON_HEADER = "x-snapshot-agent-reject-reason";
    public static final String DETAIL_HEADER = "x-snapshot-agent-reject-detail";
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final MutinyEmitter<byte[]> emitter;
    private final String routingKey;

    DeadLetters(@Channel("dead-letters") MutinyEmitter<byte[]> emitter, AgentHost host) {
        this.emitter = emitter;
        this.routingKey = "snapshot-agent." + host.name();
    }

    /** Worker threads only: waits for the broker's confirm. */
    public void publish(byte[] body, Decoded.Rejected rejected, String originalRoutingKey, String contentType) {
        OutgoingRabbitMQMetadata.Builder headers = new OutgoingRabbitMQMetadata.Builder()
                .withRoutingKey(routingKey)
                .withContentType(contentType == null ? "application/octet-stream" : contentType)
                .withDeliveryMode(2)
                .withTimestamp(ZonedDateTime.now(ZoneOffset.UTC))
                .withHeader(REASON_HEADER, rejected.reason().code())
                .withHeader(DETAIL_HEADER, rejected.detail())
                .withHeader("x-snapshot-agent-original-routing-key", String.valueOf(originalRoutingKey));
        rejected.instanceUuid().ifPresent(u -> headers.withHeader("x-snapshot-agent-instance-uuid", u));
        rejected.imageId().ifPresent(i -> headers.withHeader("x-snapshot-agent-image-id", i));
        emitter.sendMessage(Message.of(body, Metadata.of(headers.build()))).await().atMost(CONFIRM_TIMEOUT);
    }
}
