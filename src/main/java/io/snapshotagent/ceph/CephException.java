package io.snapshotagent.ceph;

/** A Ceph operation failed; the librados/librbd error is the cause. */
public class CephException extends Exception {

    public CephException(String message, Throwable cause) {
        super(message, cause);
    }
}
