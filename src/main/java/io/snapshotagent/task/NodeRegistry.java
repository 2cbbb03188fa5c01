package io.snapshotagent.task;

import io.quarkus.runtime.StartupEvent;
import io.snapshotagent.config.AgentHost;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Records each start of the agent on this host. */
@ApplicationScoped
public class NodeRegistry {

    private static final Logger LOG = Logger.getLogger(NodeRegistry.class);

    private final AgentHost host;
    private final String version;

    NodeRegistry(AgentHost host, @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version) {
        this.host = host;
        this.version = version;
    }

    @Transactional
    void onStart(@Observes @Priority(SchemaMigration.PRIORITY + 1) StartupEvent event) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        AgentNode node = AgentNode.findById(host.name());
        if (node == null) {
            node = new AgentNode();
            node.host = host.name();
            node.firstStartedAt = now;
        }
        node.lastStartedAt = now;
        node.starts++;
        node.agentVersion = version;
        node.persist();
        LOG.infof("snapshot agent %s started on host %s (start #%d)", version, node.host, node.starts);
    }
}
