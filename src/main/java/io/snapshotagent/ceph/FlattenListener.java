package io.snapshotagent.ceph;

/**
 * Progress of a flatten, in RADOS objects (4 MiB each by default): {@code done} of {@code total}
 * have been started. Called on librbd's threads, so it must be quick and thread-safe. An exception
 * it throws aborts the flatten and is rethrown to the flatten's caller.
 */
@FunctionalInterface
public interface FlattenListener {

    FlattenListener NONE = (done, total) -> { };

    void progress(long done, long total);
}
