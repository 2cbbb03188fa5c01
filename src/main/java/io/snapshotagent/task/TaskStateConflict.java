package io.snapshotagent.task;

import java.util.UUID;

/**
 * A compare-and-set transition lost: the task was not in the expected state (nova's
 * {@code UnexpectedTaskStateError}). Nothing was changed.
 */
public class TaskStateConflict extends RuntimeException {

    public TaskStateConflict(UUID taskId, String expected, String actual) {
        super("task " + taskId + " is " + actual + ", expected " + expected);
    }
}
