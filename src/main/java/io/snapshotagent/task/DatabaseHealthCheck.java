package io.snapshotagent.task;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.health.DependencyProbe;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** Ready when PostgreSQL answers and the task schema is migrated to this build's version. */
@Readiness
@ApplicationScoped
public class DatabaseHealthCheck implements HealthCheck {

    private final AgroalDataSource dataSource;
    private final Flyway flyway;
    private final int timeoutSeconds;
    private final DependencyProbe probe;

    DatabaseHealthCheck(AgroalDataSource dataSource, Flyway flyway, AgentConfig config, MeterRegistry registry,
            @ConfigProperty(name = "quarkus.datasource.jdbc.url") String url) {
        this.dataSource = dataSource;
        this.flyway = flyway;
        this.timeoutSeconds = (int) Math.max(1, config.health().probeTimeout().toSeconds());
        this.probe = new DependencyProbe("postgresql", url, config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            Map<String, String> data = new LinkedHashMap<>();
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.setQueryTimeout(timeoutSeconds);
                try (ResultSet r = s.executeQuery("select current_setting('server_version')")) {
                    r.next();
                    data.put("server", "PostgreSQL " + r.getString(1));
                }
            }
            MigrationInfo current = flyway.info().current();
            int pending = flyway.info().pending().length;
            if (current == null || pending > 0) {
                throw new IllegalStateException("schema not migrated: " + pending + " migrations pending");
            }
            data.put("schema", "version " + current.getVersion());
            return data;
        });
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
