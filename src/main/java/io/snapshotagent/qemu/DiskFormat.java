package io.snapshotagent.qemu;

import java.util.Locale;

/** The image formats the agent hands to qemu-img ({@code -f}, {@code -O}, {@code -F}). */
public enum DiskFormat {
    RAW("raw"),
    QCOW2("qcow2"),
    VMDK("vmdk"),
    VDI("vdi"),
    PARALLELS("parallels");

    private final String qemuName;

    DiskFormat(String qemuName) {
        this.qemuName = qemuName;
    }

    public String qemuName() {
        return qemuName;
    }

    /** The image's {@code disk_format} in Glance, which calls qemu's {@code parallels} {@code ploop}. */
    public String glanceName() {
        return this == PARALLELS ? "ploop" : qemuName;
    }

    /**
     * From a format name as nova, libvirt or Glance write it; {@code ploop} is qemu's
     * {@code parallels} and {@code iso} is read as {@code raw}, as nova's {@code extract_snapshot} does.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static DiskFormat of(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        switch (n) {
            case "ploop":
                return PARALLELS;
            case "iso":
                return RAW;
            default:
                for (DiskFormat f : values()) {
                    if (f.qemuName.equals(n)) {
                        return f;
                    }
                }
                throw new IllegalArgumentException("'" + name + "' is not a disk format qemu-img is used with here");
        }
    }
}
