package io.snapshotagent.ceph;

/** The snapshot a clone was made from: nova's {@code parent_info} {@code (pool, image, snap)}. */
public record ParentSpec(String pool, String image, String snap) {

    /** {@code pool/image@snap}, as the rbd CLI writes it. */
    @Override
    public String toString() {
        return pool + "/" + image + "@" + snap;
    }
}
