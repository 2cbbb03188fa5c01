package io.snapshotagent.events;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import io.snapshotagent.rpc.BrokerSettings;
import org.jboss.logging.Logger;

import com.rabbitmq.client.ConfirmListener;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Sends outbox events to the control exchange on a confirm-mode channel of its own, a batch at a
 * time, and reports which of them the broker confirmed. The plain RabbitMQ client rather than a messaging emitter: after a broker outage
 * the emitter stopped completing sends (seen in EventsIT), while here a failed publish closes the
 * connection and the next one opens a new one — the relay stays in charge of retries and order.
 * One caller (the relay thread); blocking.
 */
@ApplicationScoped
public class NotificationPublisher {

    private static final Logger LOG = Logger.getLogger(NotificationPublisher.class);
    private static final long CONFIRM_TIMEOUT_MS = 15_000;

    private final ConnectionFactory factory;
    private final String exchange;
    private Connection connection;
    private Channel channel;
    /** Delivery tags the broker acknowledged on the current channel (for the current batch). */
    private final Set<Long> confirmed = ConcurrentHashMap.newKeySet();
    private volatile long lowestUnrecorded = 1;

    NotificationPublisher(AgentConfig config, BrokerSettings broker) {
        this.exchange = config.rpc().controlExchange();
        // the relay reconnects on its own schedule; no hidden recovery underneath it
        this.factory = broker.connectionFactory(Duration.ofSeconds(10));
    }

    /**
     * Publishes {@code events} in order on one channel and waits for the broker's confirms.
     *
     * @return how many events, from the start of the list, the broker confirmed; fewer than all
     *         only when the wait failed (the connection is then dropped and the rest must be sent again)
     */
    public synchronized int publish(List<OutboxEvent> events) throws InterruptedException {
        if (events.isEmpty()) {
            return 0;
        }
        Channel c;
        long first;
        try {
            c = channel();
            first = c.getNextPublishSeqNo();
            confirmed.clear();
            for (OutboxEvent e : events) {
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                        .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).priority(0)
                        .messageId(e.id.toString()).build();
                c.basicPublish(exchange, e.routingKey, props, e.body);
            }
        } catch (IOException | TimeoutException | RuntimeException ex) {
            LOG.debugf("publishing notifications failed: %s", ex.getMessage());
            close();
            return 0;
        }
        try {
            c.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
            return events.size();
        } catch (IOException | TimeoutException | RuntimeException ex) {
            // a prefix may have been confirmed before the failure: keep those, resend the rest
            int done = confirmedPrefix(first, events.size());
            LOG.debugf("waiting for confirms failed after %d of %d: %s", done, events.size(), ex.getMessage());
            close();
            return done;
        }
    }

    private int confirmedPrefix(long first, int count) {
        int n = 0;
        while (n < count && confirmed.contains(first + n)) {
            n++;
        }
        return n;
    }

    private Channel channel() throws IOException, TimeoutException {
        if (channel == null || !channel.isOpen()) {
            close();
            connection = factory.newConnection("snapshot-agent-notifications");
            channel = connection.createChannel();
            // oslo's flags for the control exchange: anything else is PRECONDITION_FAILED
            channel.exchangeDeclare(exchange, "topic", false, false, null);
            channel.confirmSelect();
            confirmed.clear();
            channel.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long tag, boolean multiple) {
                    record(tag, multiple);
                }

                @Override
                public void handleNack(long tag, boolean multiple) {
                    // not confirmed: resent, which is all a nack allows
                }
            });
        }
        return channel;
    }

    private void record(long tag, boolean multiple) {
        if (multiple) {
            for (long t = lowestUnrecorded; t <= tag; t++) {
                confirmed.add(t);
            }
        } else {
            confirmed.add(tag);
        }
        lowestUnrecorded = Math.max(lowestUnrecorded, tag + 1);
    }

    @PreDestroy
    synchronized void close() {
        try {
            if (connection != null && connection.isOpen()) {
                connection.close(2000);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the notification connection failed", e);
        }
        connection = null;
        channel = null;
        lowestUnrecorded = 1;
    }
}
