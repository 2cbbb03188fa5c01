package io.snapshotagent.config;

import io.quarkus.runtime.configuration.ConfigurationException;

import java.util.List;

/**
 * Startup refusal for unusable settings. Being a {@link ConfigurationException}, Quarkus prints
 * just its message and exits, instead of a stack trace an operator has to dig through.
 */
public final class InvalidConfigurationException extends ConfigurationException {

    public InvalidConfigurationException(List<String> problems) {
        super("Snapshot Agent cannot start, its configuration is invalid:\n  - " + String.join("\n  - ", problems));
    }
}
