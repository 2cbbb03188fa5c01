package io.snapshotagent.ceph;

/**
 * The caller cancelled (its flag or a thread interrupt) and the operation stopped early. A
 * thread interrupt stays set on the thread.
 */
public class RbdCancelled extends CephException {

    public RbdCancelled(String message) {
        super(message, 0, null);
    }

    public RbdCancelled(String message, Throwable cause) {
        super(message, 0, cause);
    }
}
