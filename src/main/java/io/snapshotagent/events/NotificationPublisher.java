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

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Sends outbox events to the control exchange on a confirm-mode channel of its own and waits for
 * each confirm. The plain RabbitMQ client rather than a messaging emitter: after a broker outage
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

    NotificationPublisher(AgentConfig config, BrokerSettings broker) {
        this.exchange = config.rpc().controlExchange();
        // the relay reconnects on its own schedule; no hidden recovery underneath it
        this.factory = broker.connectionFactory(Duration.ofSeconds(10));
    }

    /** Returns once the broker confirmed the event; throws (and drops the connection) otherwise. */
    public synchronized void publish(OutboxEvent e) throws IOException, TimeoutException, InterruptedException {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).priority(0)
                .messageId(e.id.toString()).build();
        try {
            Channel c = channel();
            c.basicPublish(exchange, e.routingKey, props, e.body);
            c.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
        } catch (IOException | TimeoutException | RuntimeException ex) {
            close();
            throw ex;
        }
    }

    private Channel channel() throws IOException, TimeoutException {
        if (channel == null || !channel.isOpen()) {
            close();
            connection = factory.newConnection("snapshot-agent-notifications");
            channel = connection.createChannel();
            // oslo's flags for the control exchange: anything else is PRECONDITION_FAILED
            channel.exchangeDeclare(exchange, "topic", false, false, null);
            channel.confirmSelect();
        }
        return channel;
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
    }
}
