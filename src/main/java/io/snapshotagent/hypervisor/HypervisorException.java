package io.snapshotagent.hypervisor;

/** libvirt could not be reached or refused an operation; the {@code LibvirtException} is the cause. */
public class HypervisorException extends Exception {

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
