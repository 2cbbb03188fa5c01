package io.snapshotagent.pipeline;

import io.snapshotagent.task.SnapshotTask;

/**
 * What to do with a task a previous run of the agent left past {@code image_snapshot_pending}
 * (it was running when the agent died). Backends add their cleanup (RBD snaps, block jobs, temp
 * files) behind this; the task must end finished, never stuck.
 */
public interface RecoveryHook {

    void recover(SnapshotTask task);
}
