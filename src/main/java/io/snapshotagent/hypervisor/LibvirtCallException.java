package io.snapshotagent.hypervisor;

/**
 * A libvirt call made through {@link BlockJobs} failed; keeps libvirt's own error number, which
 * libvirt-java 0.5.2's {@code ErrorNumber} enum is too old to name.
 */
final class LibvirtCallException extends HypervisorException {

    private final int libvirtCode;

    LibvirtCallException(String code, String message, int libvirtCode) {
        super(code, message);
        this.libvirtCode = libvirtCode;
    }

    /** libvirt's {@code virErrorNumber}, 0 when libvirt recorded none. */
    int libvirtCode() {
        return libvirtCode;
    }
}
