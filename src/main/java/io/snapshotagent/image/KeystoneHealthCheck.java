package io.snapshotagent.image;

import io.micrometer.core.instrument.MeterRegistry;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.health.DependencyProbe;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.openstack4j.model.identity.v3.Token;

import java.util.LinkedHashMap;
import java.util.Map;

/** Ready when Keystone issues the agent a project-scoped token. */
@Readiness
@ApplicationScoped
public class KeystoneHealthCheck implements HealthCheck {

    private final KeystoneSession session;
    private final DependencyProbe probe;

    KeystoneHealthCheck(KeystoneSession session, AgentConfig config, MeterRegistry registry) {
        this.session = session;
        this.probe = new DependencyProbe("keystone", session.authUrl().toString(), config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            Token token = session.probe();
            Map<String, String> data = new LinkedHashMap<>();
            data.put("user", session.principal());
            data.put("token expires", token.getExpires().toInstant().toString());
            return data;
        });
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
