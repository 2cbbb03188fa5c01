package io.snapshotagent.config;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.List;

/**
 * Refuses to start on unusable settings. Runs first among start-up observers (priority 1),
 * before the schema migration or anything else touches a dependency.
 */
@ApplicationScoped
public class StartupValidation {

    private final AgentConfig config;

    StartupValidation(AgentConfig config) {
        this.config = config;
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        List<String> problems = ConfigValidator.problems(config);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
    }
}
