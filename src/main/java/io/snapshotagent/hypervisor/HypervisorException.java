package io.snapshotagent.hypervisor;

/**
 * libvirt could not be reached, refused an operation, or described the guest in a way the agent
 * cannot snapshot. {@link #code()} is the stable error code a task records.
 */
public class HypervisorException extends Exception {

    /** No domain with the instance's UUID on this host (nova's {@code InstanceNotFound}). */
    public static final String INSTANCE_NOT_FOUND = "instance-not-found";
    /** libvirtd is down or the connection broke; the next call reconnects. */
    public static final String LIBVIRT_UNAVAILABLE = "libvirt-unavailable";
    /** libvirtd answered and refused the operation. */
    public static final String LIBVIRT_ERROR = "libvirt-error";
    /** The domain XML has no root disk the agent knows how to read. */
    public static final String UNSUPPORTED_DISK = "unsupported-disk";

    private final String code;

    public HypervisorException(String code, String message) {
        super(message);
        this.code = code;
    }

    public HypervisorException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
