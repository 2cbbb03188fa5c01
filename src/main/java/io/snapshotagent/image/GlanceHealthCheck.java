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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ready when Glance's v2 API answers an authenticated image listing. Uses the session's
 * cached token, so a Keystone outage shows on the Keystone check alone.
 */
@Readiness
@ApplicationScoped
public class GlanceHealthCheck implements HealthCheck {

    private final KeystoneSession session;
    private final Duration timeout;
    private final HttpClient http;
    private final DependencyProbe probe;

    GlanceHealthCheck(KeystoneSession session, AgentConfig config, MeterRegistry registry) {
        this.session = session;
        this.timeout = config.glance().timeout();
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        String endpoint = config.glance().endpointOverride().map(URI::toString)
                .orElse("catalog, " + config.glance().endpointInterface() + " interface");
        this.probe = new DependencyProbe("glance", endpoint, config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            Token token = session.token();
            URI endpoint = session.glanceEndpoint(token);
            URI images = URI.create(endpoint.toString().replaceAll("/+$", "") + "/v2/images?limit=1");
            HttpRequest request = HttpRequest.newBuilder(images).timeout(timeout)
                    .header("X-Auth-Token", token.getId()).header("Accept", "application/json").GET().build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                throw new GlanceException("GET " + images + " failed", e);
            }
            if (response.statusCode() != 200) {
                throw new GlanceException("GET " + images + " answered HTTP " + response.statusCode());
            }
            Map<String, String> data = new LinkedHashMap<>();
            data.put("url", endpoint.toString());
            data.put("api", "v2 images answered HTTP 200");
            return data;
        });
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
