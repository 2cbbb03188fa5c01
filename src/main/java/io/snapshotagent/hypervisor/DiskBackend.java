package io.snapshotagent.hypervisor;

/**
 * How an instance's root disk is stored, named as nova's {@code images_type} backends
 * ({@code imagebackend.Backend.BACKEND}); nova's {@code raw} is an alias of {@link #FLAT}.
 */
public enum DiskBackend {
    RBD("rbd"),
    QCOW2("qcow2"),
    FLAT("flat"),
    LVM("lvm"),
    PLOOP("ploop");

    private final String imagesType;

    DiskBackend(String imagesType) {
        this.imagesType = imagesType;
    }

    /** nova's {@code [libvirt] images_type} value for this backend. */
    public String imagesType() {
        return imagesType;
    }
}
