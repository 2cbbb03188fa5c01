package io.snapshotagent.events;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import java.time.Duration;

/**
 * Sends one outbox event to the control exchange and waits for the broker's confirm. A bean of
 * its own so the emitter is only created on first use, after the messaging graph is wired (the
 * relay starts earlier than that).
 */
@ApplicationScoped
public class NotificationPublisher {

    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(15);

    private final MutinyEmitter<byte[]> emitter;

    NotificationPublisher(@Channel("versioned-notifications") MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /** Blocks until confirmed; throws when the broker refuses or does not answer in time. */
    public void publish(OutboxEvent e) {
        OutgoingRabbitMQMetadata metadata = new OutgoingRabbitMQMetadata.Builder()
                .withRoutingKey(e.routingKey)
                .withContentType("application/json")
                .withContentEncoding("utf-8")
                .withDeliveryMode(2)
                .withMessageId(e.id.toString())
                .build();
        emitter.sendMessage(Message.of(e.body, Metadata.of(metadata))).await().atMost(CONFIRM_TIMEOUT);
    }
}
