package io.snapshotagent.config;

import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The compute host name the agent serves, as nova's {@code CONF.host}: configured, else the hostname. */
@ApplicationScoped
public class AgentHost {

    private final String name;

    AgentHost(AgentConfig config) {
        this.name = config.host().orElseGet(AgentHost::hostname);
    }

    public String name() {
        return name;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "localhost" : env;
        }
    }
}
