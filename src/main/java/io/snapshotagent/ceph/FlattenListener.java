package io.snapshotagent.ceph;

/**
 * Progress of a flatten, in RADOS objects (4 MiB each by default): object {@code done} of
 * {@code total} is being copied. Called on librbd's threads, so it must be thread-safe and must
 * never block: the same thread answers the image's watch notifications, and a blocked one makes
 * other clients' operations on the image (e.g. {@code rbd snap create}, which asks watchers to
 * quiesce) wait until they time out. Record the numbers and return. An exception it throws
 * aborts the flatten and is rethrown to the flatten's caller.
 */
@FunctionalInterface
public interface FlattenListener {

    FlattenListener NONE = (done, total) -> { };

    void progress(long done, long total);
}
