package io.snapshotagent.ceph;

import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * RBD image operations as nova's {@code RBDDriver} has them (nova/storage/rbd_utils.py), on the
 * agent's cluster connection. Every method blocks and is bounded by the client's mon/OSD op
 * timeouts (a flatten by them per object); failures are {@link CephException}s naming the image:
 * {@link RbdForbidden} (no write caps), {@link RbdNotFound}, {@link RbdExists}, {@link RbdBusy},
 * {@link RbdCancelled}. Images are named by {@code pool} and {@code image} separately; a pool
 * that does not exist is a plain {@link CephException} (errno ENOENT), never {@link RbdNotFound},
 * so the idempotent removals do not mistake a wrong pool name for "already gone".
 */
public interface RbdImages {

    /** The cluster's fsid, the first part of an {@code rbd://} location. */
    String fsid() throws CephException;

    /**
     * The snapshot {@code pool/image} was cloned from; empty when it is not a clone (never was, or
     * has been flattened). nova's {@code parent_info}, the first step of {@code _get_parent_pool}.
     * Opens the image read-only, so read caps suffice.
     *
     * @throws RbdNotFound if the image does not exist
     */
    Optional<ParentSpec> parent(String pool, String image) throws CephException;

    boolean exists(String pool, String image) throws CephException;

    /** False also when the image does not exist. */
    boolean snapExists(String pool, String image, String snap) throws CephException;

    /** The names of the RBD images in {@code pool}. */
    List<String> listImages(String pool) throws CephException;

    /** The user snapshots of {@code pool/image}, oldest first. */
    List<RbdSnap> listSnaps(String pool, String image) throws CephException;

    /** Whether the snapshot is protected (cloneable as a v1 parent, not removable). */
    boolean snapProtected(String pool, String image, String snap) throws CephException;

    /** The image's size in bytes. */
    long size(String pool, String image) throws CephException;

    /**
     * Creates {@code pool/image@snap}, protected if asked (a v1 clone parent must be). If the
     * protect fails the new snapshot is removed again, so the image is left as it was.
     *
     * @throws RbdExists if the snapshot exists already (it is left alone)
     */
    void createSnap(String pool, String image, String snap, boolean protect) throws CephException;

    /**
     * Clones {@code srcPool/srcImage@srcSnap} into {@code dstPool/dstImage}, with librbd's defaults
     * for what a clone inherits (the parent's features and object size).
     *
     * @throws RbdForbidden nova's {@code Forbidden}, "no write permission on storage pool X"
     * @throws RbdExists if {@code dstImage} exists already (it is left alone)
     */
    void clone(String srcPool, String srcImage, String srcSnap, String dstPool, String dstImage) throws CephException;

    /**
     * Copies the parent's data into the clone and detaches it. Does nothing if the image has no
     * parent (nova bug #1860990). Stops early when {@code cancelled} answers true or the calling
     * thread is interrupted; objects already in flight finish, the clone keeps its parent.
     * {@code cancelled} is polled on librbd's threads with each progress step, so like the
     * listener it must answer at once.
     *
     * @throws RbdCancelled if it was cancelled (an interrupt stays set on the thread)
     */
    void flatten(String pool, String image, FlattenListener listener, BooleanSupplier cancelled) throws CephException;

    /**
     * Unprotects (if protected) and removes {@code pool/image@snap}; nothing happens if the snapshot
     * or the image does not exist.
     *
     * @return whether there was a snapshot to remove
     * @throws RbdBusy if the snapshot still has clones
     */
    boolean removeSnap(String pool, String image, String snap) throws CephException;

    /**
     * Removes {@code pool/image}; nothing happens if it does not exist. A busy image (a watcher
     * that is going away, e.g. of a client that just died) is retried for a while, as nova's
     * {@code _destroy_volume} does.
     *
     * @return whether there was an image to remove
     * @throws RbdBusy if it stays busy, or still has snapshots
     */
    boolean removeImage(String pool, String image) throws CephException;

    /** Sets an image metadata key ({@code rbd image-meta set}). */
    void setMetadata(String pool, String image, String key, String value) throws CephException;

    /** An image metadata value; empty when the key is not set. Read-only open. */
    Optional<String> metadata(String pool, String image, String key) throws CephException;
}
