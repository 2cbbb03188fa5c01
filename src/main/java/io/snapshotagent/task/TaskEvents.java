package io.snapshotagent.task;

/**
 * Told of every state change inside the transaction that makes it, so whatever it writes (the
 * events outbox) commits or rolls back with the change itself.
 */
public interface TaskEvents {

    /**
     * @param from    the state before; null when the task was just created
     * @param to      the state after; null when the task finished
     * @param outcome set when the task finished
     */
    void changed(SnapshotTask task, TaskState from, TaskState to, TaskOutcome outcome);
}
