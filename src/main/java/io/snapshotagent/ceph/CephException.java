package io.snapshotagent.ceph;

/**
 * A Ceph operation failed; the librados/librbd error is the cause. Subclasses name the failures
 * callers act on ({@link RbdForbidden}, {@link RbdNotFound}, ...).
 */
public class CephException extends Exception {

    private final int errno;

    public CephException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    public CephException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = Math.abs(errno);
    }

    /** The positive errno librados/librbd returned, 0 when there was none (e.g. a cancellation). */
    public int errno() {
        return errno;
    }
}
