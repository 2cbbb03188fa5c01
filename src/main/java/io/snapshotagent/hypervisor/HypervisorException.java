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
    /** The domain exists but is not running, or stopped during the operation (nova's {@code InstanceNotRunning}). */
    public static final String INSTANCE_NOT_RUNNING = "instance-not-running";
    /** Another live snapshot of the same instance is running in this agent. */
    public static final String INSTANCE_BUSY = "instance-busy";
    /**
     * The image asks for a quiesced snapshot ({@code os_require_quiesce}) and the guest agent is
     * not enabled, does not answer, or could not freeze (nova's {@code InstanceQuiesceFailed}).
     */
    public static final String QUIESCE_FAILED = "quiesce-failed";
    /** The guest's file systems were frozen and could not be thawed again: the guest needs attention. */
    public static final String THAW_FAILED = "thaw-failed";
    /** The block job of a live snapshot could not be started, failed, or disappeared before it was done. */
    public static final String BLOCK_JOB_FAILED = "block-job-failed";
    /** The mirror of a live snapshot did not get in sync in time (a guest writing faster than the copy). */
    public static final String BLOCK_JOB_TIMED_OUT = "block-job-timed-out";

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
