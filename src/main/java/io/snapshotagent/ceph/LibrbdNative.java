package io.snapshotagent.ceph;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.ByteByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The librbd.so.1 calls rados-java 0.6.0 does not bind (signatures of Ceph 16 Pacific's
 * {@code rbd/librbd.h}). {@code image} is an {@code rbd_image_t}, {@code io} a
 * {@code rados_ioctx_t}: the values of rados-java's {@code RbdImage.getPointer()} and
 * {@code IoCTX.getPointer()}. Use it through {@link Librbd}.
 */
interface LibrbdNative extends Library {

    /** {@code librbd_progress_fn_t}: a negative return aborts the operation with that code. */
    interface ProgressFn extends Callback {
        int invoke(long offset, long total, Pointer arg);
    }

    /**
     * {@code rbd_linked_image_spec_t}. The strings are librbd's (freed by
     * {@code rbd_linked_image_spec_cleanup}), so they are Pointers: JNA must not replace them
     * with memory of its own when it writes the structure back.
     */
    @Structure.FieldOrder({"pool_id", "pool_name", "pool_namespace", "image_id", "image_name", "trash"})
    class LinkedImageSpec extends Structure {
        public long pool_id;
        public Pointer pool_name;
        public Pointer pool_namespace;
        public Pointer image_id;
        public Pointer image_name;
        public byte trash;
    }

    /** {@code rbd_snap_spec_t}; {@code name} is freed by {@code rbd_snap_spec_cleanup}. */
    @Structure.FieldOrder({"id", "namespace_type", "name"})
    class SnapSpec extends Structure {
        public long id;
        public int namespace_type;
        public Pointer name;
    }

    /** {@code sizeof(rbd_snap_info_t)}: {@code uint64_t id; uint64_t size; const char *name;}. */
    int SNAP_INFO_SIZE = 24;

    int rbd_get_parent(Pointer image, LinkedImageSpec parentImage, SnapSpec parentSnap);

    void rbd_linked_image_spec_cleanup(LinkedImageSpec spec);

    void rbd_snap_spec_cleanup(SnapSpec spec);

    int rbd_flatten_with_progress(Pointer image, ProgressFn cb, Pointer cbdata);

    void rbd_image_options_create(PointerByReference opts);

    void rbd_image_options_destroy(Pointer opts);

    int rbd_clone3(Pointer parentIo, String parentName, String parentSnapName, Pointer childIo, String childName,
                   Pointer childOpts);

    int rbd_metadata_set(Pointer image, String key, String value);

    /** {@code size_t *val_len}: a 64-bit size on the platforms the agent runs on. */
    int rbd_metadata_get(Pointer image, String key, byte[] value, LongByReference valueLength);

    /** Fills {@code *maxSnaps} entries plus a terminating one; -ERANGE with the count needed. */
    int rbd_snap_list(Pointer image, Pointer snaps, IntByReference maxSnaps);

    void rbd_snap_list_end(Pointer snaps);

    int rbd_snap_exists(Pointer image, String snapName, ByteByReference exists);

    int rbd_get_size(Pointer image, LongByReference size);
}
