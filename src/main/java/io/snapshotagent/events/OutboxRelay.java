package io.snapshotagent.events;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes the outbox in {@code seq} order on one thread, in batches of up to {@value #BATCH}
 * on one confirm-mode channel; the events the broker confirmed are marked published before the
 * next batch goes. A broker outage stops the relay at the first unconfirmed event; it retries from
 * there with back-off, so events survive outages and restarts and keep their order. A crash
 * between the confirms and their mark republishes at most that batch: consumers may drop
 * duplicates by {@code message_id}. Agents sharing a database each publish
 * only the events they wrote.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    public static final int BATCH = 50;
    /** Rows from before the host column have none; whichever agent comes first publishes them. */
    private static final String MINE = "publishedAt is null and (host = ?1 or host is null)";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private final NotificationPublisher publisher;
    private final Duration pollInterval;
    private final AtomicLong pending = new AtomicLong();
    private final MeterRegistry metrics;
    private final String host;
    private volatile boolean running = true;
    private Thread thread;

    OutboxRelay(NotificationPublisher publisher, AgentConfig config, MeterRegistry metrics) {
        this.publisher = publisher;
        this.pollInterval = config.notifications().pollInterval();
        this.metrics = metrics;
        this.host = config.host();
        metrics.gauge("snapshot_agent_events_unpublished", pending);
    }

    void onStart(@Observes @Priority(50) StartupEvent event) {
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        Duration backoff = Duration.ofMillis(500);
        while (running) {
            try {
                List<OutboxEvent> batch = QuarkusTransaction.requiringNew().call(() -> {
                    pending.set(OutboxEvent.count(MINE, host));
                    return OutboxEvent.<OutboxEvent>find(MINE + " order by seq", host).page(0, BATCH).list();
                });
                if (batch.isEmpty()) {
                    sleep(pollInterval);
                    continue;
                }
                int confirmed = publisher.publish(batch);
                if (confirmed > 0) {
                    List<OutboxEvent> done = batch.subList(0, confirmed);
                    List<java.util.UUID> ids = done.stream().map(e -> e.id).toList();
                    QuarkusTransaction.requiringNew().run(() -> OutboxEvent.update(
                            "publishedAt = ?1 where id in ?2", OffsetDateTime.now(ZoneOffset.UTC), ids));
                    done.forEach(e -> metrics.counter("snapshot_agent_events_published_total", "event_type", e.eventType)
                            .increment());
                }
                if (confirmed < batch.size()) {
                    throw new IllegalStateException("the broker confirmed " + confirmed + " of " + batch.size()
                            + " notifications; the rest are sent again");
                }
                backoff = Duration.ofMillis(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                LOG.warnf("outbox relay: %s; retrying in %d ms", io.snapshotagent.health.DependencyProbe.describe(e),
                        backoff.toMillis());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.interrupt();
            thread.join(5000);
        }
    }
}
