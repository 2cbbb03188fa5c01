package io.snapshotagent.rpc;

import com.rabbitmq.client.ConnectionFactory;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/**
 * The broker the messaging channels use ({@code rabbitmq-host}, {@code rabbitmq-port}, ...), for
 * the places that need a plain client connection of their own (readiness, the outbox relay).
 */
@ApplicationScoped
public class BrokerSettings {

    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final String virtualHost;

    BrokerSettings(@ConfigProperty(name = "rabbitmq-host", defaultValue = "localhost") String host,
            @ConfigProperty(name = "rabbitmq-port", defaultValue = "5672") int port,
            @ConfigProperty(name = "rabbitmq-username", defaultValue = "guest") String username,
            @ConfigProperty(name = "rabbitmq-password", defaultValue = "guest") String password,
            @ConfigProperty(name = "rabbitmq-virtual-host", defaultValue = "/") String virtualHost) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.virtualHost = virtualHost;
    }

    public String endpoint() {
        return "amqp://" + host + ":" + port + virtualHost;
    }

    /** A new factory without automatic recovery: callers decide when to reconnect. */
    public ConnectionFactory connectionFactory(Duration timeout) {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(host);
        f.setPort(port);
        f.setUsername(username);
        f.setPassword(password);
        f.setVirtualHost(virtualHost);
        f.setConnectionTimeout((int) timeout.toMillis());
        f.setHandshakeTimeout((int) timeout.toMillis());
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }
}
