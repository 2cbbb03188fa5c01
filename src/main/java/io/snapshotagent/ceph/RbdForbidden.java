package io.snapshotagent.ceph;

/**
 * The client user may not write to a pool (EPERM/EACCES): nova's {@code Forbidden}, which makes the
 * libvirt driver fall back from the direct snapshot to the standard one.
 */
public class RbdForbidden extends CephException {

    public RbdForbidden(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
