package io.snapshotagent.backend;

/**
 * The direct path cannot be taken, and that is not an error: the snapshot goes the fallback way.
 * nova's {@code NotImplementedError} (not an RBD disk), {@code ImageUnacceptable} (no parent
 * pool, another cluster) and {@code Forbidden} (no write caps on the images pool).
 */
public class DirectSnapshotUnavailable extends Exception {

    public DirectSnapshotUnavailable(String reason) {
        super(reason);
    }

    public DirectSnapshotUnavailable(String reason, Throwable cause) {
        super(reason, cause);
    }
}
