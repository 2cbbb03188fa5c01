package io.snapshotagent.task;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.jboss.logging.Logger;

/**
 * Migrates the task schema at start-up, after the configuration has been validated (Quarkus'
 * own migrate-at-start would run before it, so a bad config would first show as a database error).
 */
@ApplicationScoped
public class SchemaMigration {

    static final int PRIORITY = 10;

    private static final Logger LOG = Logger.getLogger(SchemaMigration.class);

    private final Flyway flyway;

    SchemaMigration(Flyway flyway) {
        this.flyway = flyway;
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        MigrateResult result = flyway.migrate();
        LOG.infof("task schema at version %s (%d migrations applied now)",
                result.targetSchemaVersion != null ? result.targetSchemaVersion : flyway.info().current().getVersion(),
                result.migrationsExecuted);
    }
}
