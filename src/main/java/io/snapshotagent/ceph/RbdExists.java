package io.snapshotagent.ceph;

/** The image or snapshot to be made already exists (EEXIST); it was not touched. */
public class RbdExists extends CephException {

    public RbdExists(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
