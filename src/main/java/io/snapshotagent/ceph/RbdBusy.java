package io.snapshotagent.ceph;

/**
 * The image is in use (EBUSY: a watcher such as a running guest, or clones of a snapshot), or
 * still has snapshots (ENOTEMPTY), so it cannot be removed or unprotected.
 */
public class RbdBusy extends CephException {

    public RbdBusy(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
