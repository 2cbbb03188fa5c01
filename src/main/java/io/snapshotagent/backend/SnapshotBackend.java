package io.snapshotagent.backend;

/**
 * Takes the snapshot of one instance disk (nova's {@code driver.snapshot}). Blocking: it runs on
 * the pipeline's own bounded pool.
 */
public interface SnapshotBackend {

    void snapshot(SnapshotJob job, SnapshotProgress progress) throws BackendException;
}
