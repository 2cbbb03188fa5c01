package io.snapshotagent.ceph;

import java.util.Map;

/** Turns librados/librbd return codes (negative errno values) into the agent's exceptions. */
final class RbdErrors {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENOTEMPTY = 39;
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int ECANCELED = 125;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM, operation not permitted"),
            Map.entry(ENOENT, "ENOENT, no such image, snapshot or pool"),
            Map.entry(EACCES, "EACCES, permission denied"),
            Map.entry(EBUSY, "EBUSY, in use"),
            Map.entry(EEXIST, "EEXIST, already exists"),
            Map.entry(EINVAL, "EINVAL, invalid argument"),
            Map.entry(EROFS, "EROFS, read-only"),
            Map.entry(ENOTEMPTY, "ENOTEMPTY, the image has snapshots"),
            Map.entry(ENOTCONN, "ENOTCONN, not connected"),
            Map.entry(ESHUTDOWN, "ESHUTDOWN, the client is shut down or blocklisted"),
            Map.entry(ETIMEDOUT, "ETIMEDOUT, the cluster did not answer in time"),
            Map.entry(ECONNREFUSED, "ECONNREFUSED, connection refused"),
            Map.entry(ECANCELED, "ECANCELED, cancelled"));

    private RbdErrors() {
    }

    /** {@code what} plus the errno's name, e.g. "cannot remove vms/x: EBUSY, in use (errno 16)". */
    static String describe(String what, int rc) {
        int errno = Math.abs(rc);
        return what + ": " + NAMES.getOrDefault(errno, "error") + " (errno " + errno + ")";
    }

    /** The exception type for {@code rc}, with {@code what} and the errno in its message. */
    static CephException failure(String what, int rc, Throwable cause) {
        String message = describe(what, rc);
        return switch (Math.abs(rc)) {
            case EPERM, EACCES -> new RbdForbidden(message, rc, cause);
            case ENOENT -> new RbdNotFound(message, rc, cause);
            case EEXIST -> new RbdExists(message, rc, cause);
            case EBUSY, ENOTEMPTY -> new RbdBusy(message, rc, cause);
            default -> new CephException(message, rc, cause);
        };
    }

    /** Errors after which the connection itself is suspect and should not be reused. */
    static boolean connectionFailure(int rc) {
        int errno = Math.abs(rc);
        return errno == ETIMEDOUT || errno == ESHUTDOWN || errno == ENOTCONN || errno == ECONNREFUSED;
    }
}
