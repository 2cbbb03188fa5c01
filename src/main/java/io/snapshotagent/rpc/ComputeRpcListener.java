package io.snapshotagent.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMessage;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.events.OutboxTaskEvents;
import io.snapshotagent.pipeline.SnapshotExecutor;
import io.snapshotagent.task.TaskService;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Takes nova compute casts from the agent's queue. A usable cast becomes a committed task before
 * the message is acknowledged; an unusable one is copied to the dead-letter queue with its reason
 * and then acknowledged; the queue never blocks on bad input.
 *
 * <p>When the database is unreachable the message is neither acknowledged nor rejected: the
 * handler retries with capped back-off, so casts wait in RabbitMQ (bounded by the prefetch)
 * instead of being lost or spun through redeliveries. When the agent stops meanwhile, the
 * waiting messages are handed back to the broker (requeued) so the next start takes them.
 */
@ApplicationScoped
public class ComputeRpcListener {

    private static final Logger LOG = Logger.getLogger(ComputeRpcListener.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

    private final OsloDecoder decoder;
    private final TaskService tasks;
    private final DeadLetters deadLetters;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final SnapshotExecutor executor;
    private final OutboxTaskEvents events;
    private final CountDownLatch stopping = new CountDownLatch(1);

    ComputeRpcListener(AgentConfig config, TaskService tasks, DeadLetters deadLetters, ObjectMapper json,
            MeterRegistry metrics, SnapshotExecutor executor, OutboxTaskEvents events) {
        this.executor = executor;
        this.events = events;
        this.decoder = new OsloDecoder(json, config.host(), "compute".equals(config.rpc().topic()),
                config.rpc().maxMessageBytes());
        this.tasks = tasks;
        this.deadLetters = deadLetters;
        this.json = json;
        this.metrics = metrics;
    }

    @Incoming("compute-rpc")
    @Blocking(ordered = false, value = "rpc-ingress")
    public CompletionStage<Void> consume(Message<?> message) {
        try {
            handle(message);
        } catch (ShuttingDown e) {
            // nothing was recorded for this message: the broker gives it to the next consumer
            return message.nack(e, Metadata.of(new RabbitMQRejectMetadata(true)));
        }
        return message.ack();
    }

    private void handle(Message<?> message) {
        byte[] body = body(message);
        Optional<IncomingRabbitMQMetadata> amqp = message.getMetadata(IncomingRabbitMQMetadata.class);
        Decoded decoded = decoder.decode(body);
        if (decoded instanceof Decoded.Accepted accepted) {
            TaskService.Accepted result = withStoreRetry("the task for image " + accepted.cast().imageId(),
                    () -> tasks.accept(TaskRequests.from(accepted.cast(), json)));
            if (result.created()) {
                // committed first: a crash before this line leaves a pending task that recovery queues
                executor.submit(result.task().id, result.task().instanceUuid);
            }
            metrics.counter("snapshot_agent_rpc_casts_total", "method", accepted.cast().method().wireName(),
                    "result", result.created() ? "task-created" : "duplicate").increment();
            LOG.infof("%s for instance %s image %s: %s (request %s)", accepted.cast().method().wireName(),
                    accepted.cast().instance().uuid(), accepted.cast().imageId(),
                    result.created() ? "task " + result.task().id + " created" : "duplicate of task " + result.task().id,
                    accepted.cast().context().requestId());
        } else if (decoded instanceof Decoded.Ignored ignored) {
            metrics.counter("snapshot_agent_rpc_ignored_total", "method", ignored.method()).increment();
        } else if (decoded instanceof Decoded.Rejected rejected) {
            deadLetters.publish(body, rejected, amqp.map(IncomingRabbitMQMetadata::getRoutingKey).orElse(null),
                    amqp.flatMap(IncomingRabbitMQMetadata::getContentType).orElse(null));
            metrics.counter("snapshot_agent_rpc_dead_lettered_total", "reason", rejected.reason().code()).increment();
            LOG.warnf("dead-lettered a message: %s: %s (instance %s, image %s)", rejected.reason().code(),
                    rejected.detail(), rejected.instanceUuid().orElse("-"), rejected.imageId().orElse("-"));
            if (rejected.instanceUuid().isPresent() || rejected.imageId().isPresent()) {
                // a redelivery after a crash here may repeat this event; the dead letter is kept once per delivery too
                withStoreRetry("the error event of a dead-lettered message", () -> {
                    events.rejected(rejected.instanceUuid().orElse(null), rejected.imageId().orElse(null),
                            rejected.reason().code(), rejected.detail());
                    return null;
                });
            }
        }
    }

    private <T> T withStoreRetry(String what, Supplier<T> store) {
        Duration backoff = Duration.ofMillis(500);
        while (true) {
            try {
                return store.get();
            } catch (RuntimeException e) {
                LOG.warnf("cannot record %s yet (%s); retrying in %d ms", what, e.getMessage(), backoff.toMillis());
                metrics.counter("snapshot_agent_rpc_store_retries_total").increment();
                try {
                    if (stopping.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new ShuttingDown(e);
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new ShuttingDown(e);
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /** Before the worker pools are drained: a handler waiting for the database gives up at once. */
    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        stopping.countDown();
    }

    /** The agent stops while a message waits for the database. */
    private static final class ShuttingDown extends RuntimeException {
        ShuttingDown(Throwable cause) {
            super("the agent is stopping", cause);
        }
    }

    /** The raw body as the broker delivered it: decoding is ours, not the connector's. */
    private static byte[] body(Message<?> message) {
        if (message instanceof IncomingRabbitMQMessage<?> rabbit) {
            return rabbit.message.body().getBytes();
        }
        Object payload = message.getPayload();
        if (payload instanceof byte[] bytes) {
            return bytes;
        }
        if (payload instanceof io.vertx.core.buffer.Buffer buffer) {
            return buffer.getBytes();
        }
        return String.valueOf(payload).getBytes(StandardCharsets.UTF_8);
    }
}
