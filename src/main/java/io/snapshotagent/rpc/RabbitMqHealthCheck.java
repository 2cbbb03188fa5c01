package io.snapshotagent.rpc;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.health.DependencyProbe;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ready when the broker accepts an AMQP login with the connector's own settings
 * ({@code rabbitmq-host}, {@code rabbitmq-port}, ...) and the oslo control exchange can be
 * checked. Opens its own short connection, so it tells the broker's state even before any
 * channel of the agent has connected.
 */
@Readiness
@ApplicationScoped
public class RabbitMqHealthCheck implements HealthCheck {

    private final ConnectionFactory factory;
    private final String exchange;
    private final DependencyProbe probe;

    RabbitMqHealthCheck(AgentConfig config, MeterRegistry registry, BrokerSettings broker) {
        this.exchange = config.rpc().controlExchange();
        this.factory = broker.connectionFactory(config.health().probeTimeout());
        this.probe = new DependencyProbe("rabbitmq", broker.endpoint(), config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            try (Connection connection = factory.newConnection("snapshot-agent-readiness")) {
                Map<String, String> data = new LinkedHashMap<>();
                data.put("server", String.valueOf(connection.getServerProperties().get("product")) + " "
                        + connection.getServerProperties().get("version"));
                data.put("exchange " + exchange, exchangeState(connection));
                return data;
            }
        });
    }

    /** The exchange is nova's to declare; its absence is information, not a failure. */
    private String exchangeState(Connection connection) throws Exception {
        var channel = connection.createChannel();
        try {
            channel.exchangeDeclarePassive(exchange);
            channel.close();
            return "exists";
        } catch (java.io.IOException e) {
            return "not declared yet";
        }
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
