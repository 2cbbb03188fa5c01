package io.snapshotagent.hypervisor;

import java.util.Objects;
import java.util.Optional;

/**
 * An instance's root disk as nova's {@code libvirt_utils.find_disk} and
 * {@code get_disk_type_from_path} see it.
 *
 * @param backend   which nova image backend the disk belongs to
 * @param path      nova's {@code disk_path}: the file, the block device ({@code /dev/...}), the
 *                  ploop directory (its data is {@code root.hds} inside), or {@code rbd:<pool>/<image>}
 * @param format    the {@code <driver type>} libvirt reads the disk as ({@code raw}, {@code qcow2},
 *                  {@code ploop}...); {@code raw} for RBD when the XML names none
 * @param targetDev the guest device name, e.g. {@code vda}
 * @param rbd       pool and image for {@link DiskBackend#RBD}, empty otherwise
 */
public record GuestDisk(DiskBackend backend, String path, String format, String targetDev, Optional<RbdImageName> rbd) {

    public GuestDisk {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(targetDev, "targetDev");
        Objects.requireNonNull(rbd, "rbd");
        if (rbd.isPresent() != (backend == DiskBackend.RBD)) {
            throw new IllegalArgumentException("an RBD name goes with the rbd backend only");
        }
    }

    /**
     * Where an RBD disk lives, from {@code <source protocol='rbd' name='pool/image'>}.
     *
     * @param authUser the {@code <auth username>} libvirt uses (informational: the agent connects
     *                 with its own {@code snapshot.rbd.user}, as nova uses {@code [libvirt] rbd_user})
     */
    public record RbdImageName(String pool, String image, Optional<String> authUser) {

        /** {@code pool/image}, as libvirt and the rbd CLI write it. */
        public String name() {
            return pool + "/" + image;
        }
    }
}
