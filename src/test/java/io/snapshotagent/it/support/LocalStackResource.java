package io.snapshotagent.it.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** Starts the real local stack before Quarkus and points the agent at it. */
public class LocalStackResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return LocalStack.upAndProperties();
    }

    @Override
    public void stop() {
        // the stack outlives the test run: the next run (or the developer) reuses it
    }
}
