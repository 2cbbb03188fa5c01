package io.snapshotagent.ceph;

/** The pool, image or snapshot an operation needs does not exist (ENOENT). */
public class RbdNotFound extends CephException {

    public RbdNotFound(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
