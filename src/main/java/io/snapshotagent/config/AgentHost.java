package io.snapshotagent.config;

import jakarta.enterprise.context.ApplicationScoped;

/** The compute host name the agent serves, as nova's {@code CONF.host}. */
@ApplicationScoped
public class AgentHost {

    private final String name;

    AgentHost(AgentConfig config) {
        this.name = config.host();
    }

    public String name() {
        return name;
    }
}
