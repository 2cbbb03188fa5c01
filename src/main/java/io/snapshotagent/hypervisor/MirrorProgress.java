package io.snapshotagent.hypervisor;

/**
 * Told how far the mirror of a live snapshot has got, after each poll of the block job. Called on
 * the snapshot's own thread, so whatever it does holds the snapshot up; an exception it throws
 * ends the snapshot (cleaned up like any other failure).
 */
@FunctionalInterface
public interface MirrorProgress {

    MirrorProgress NONE = (copied, total) -> {
    };

    /** {@code copied == total} (and {@code total > 0}) once the mirror is in sync. */
    void progress(long copied, long total);
}
