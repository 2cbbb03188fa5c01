package io.snapshotagent.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMessage;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.pipeline.SnapshotExecutor;
import io.snapshotagent.task.TaskService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Takes nova compute casts from the agent's queue. A usable cast becomes a committed task before
 * the message is acknowledged; an unusable one is copied to the dead-letter queue with its reason
 * and then acknowledged; the queue never blocks on bad input.
 *
 * <p>When the database is unreachable the message is neither acknowledged nor rejected: the
 * handler retries with capped back-off, so casts wait in RabbitMQ (bounded by the prefetch)
 * instead of being lost or spun through redeliveries.
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

    ComputeRpcListener(AgentConfig config, TaskService tasks, DeadLetters deadLetters, ObjectMapper json,
            MeterRegistry metrics, SnapshotExecutor executor) {
        this.executor = executor;
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
        byte[] body = body(message);
        Optional<IncomingRabbitMQMetadata> amqp = message.getMetadata(IncomingRabbitMQMetadata.class);
        Decoded decoded = decoder.decode(body);
        if (decoded instanceof Decoded.Accepted accepted) {
            TaskService.Accepted result = acceptWithRetry(accepted.cast());
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
        }
        return message.ack();
    }

    private TaskService.Accepted acceptWithRetry(SnapshotCast cast) {
        Duration backoff = Duration.ofMillis(500);
        while (true) {
            try {
                return tasks.accept(TaskRequests.from(cast, json));
            } catch (RuntimeException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                LOG.warnf("cannot record the task for image %s yet (%s); retrying in %d ms", cast.imageId(),
                        e.getMessage(), backoff.toMillis());
                metrics.counter("snapshot_agent_rpc_store_retries_total").increment();
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
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
