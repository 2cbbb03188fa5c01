package io.snapshotagent.task;

/** How a finished task ended. A task without an outcome is still in flight. */
public enum TaskOutcome {
    SUCCEEDED,
    FAILED,
    CANCELLED
}
