package io.snapshotagent.ceph;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.ByteByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Java-shaped calls over {@link LibrbdNative}: native memory is freed here, return codes come
 * back as exceptions (or as the raw code where the caller decides). Blocking.
 */
final class Librbd {

    private static final String UTF_8 = StandardCharsets.UTF_8.name();

    private final LibrbdNative rbd;

    Librbd() {
        this.rbd = Native.load("rbd", LibrbdNative.class, Map.of(Library.OPTION_STRING_ENCODING, UTF_8));
    }

    /** The clone parent of an open image; empty when it has none (librbd's ENOENT). */
    Optional<ParentSpec> parent(Pointer image, String name) throws CephException {
        LibrbdNative.LinkedImageSpec parent = new LibrbdNative.LinkedImageSpec();
        LibrbdNative.SnapSpec snap = new LibrbdNative.SnapSpec();
        int rc = rbd.rbd_get_parent(image, parent, snap);
        if (rc == -RbdErrors.ENOENT) {
            return Optional.empty();
        }
        if (rc < 0) {
            throw RbdErrors.failure("cannot read the parent of " + name, rc, null);
        }
        try {
            return Optional.of(new ParentSpec(string(parent.pool_name), string(parent.image_name), string(snap.name)));
        } finally {
            rbd.rbd_linked_image_spec_cleanup(parent);
            rbd.rbd_snap_spec_cleanup(snap);
        }
    }

    /** {@code rbd_flatten_with_progress}; the raw return code. Keeps {@code progress} reachable. */
    int flatten(Pointer image, LibrbdNative.ProgressFn progress) {
        try {
            return rbd.rbd_flatten_with_progress(image, progress, null);
        } finally {
            java.lang.ref.Reference.reachabilityFence(progress);
        }
    }

    /**
     * {@code rbd_clone3} with empty image options, so librbd decides as it does for
     * {@code rbd clone}: the parent's features and object size, the client's clone format.
     * The raw return code.
     */
    int clone(Pointer parentIo, String parentName, String parentSnap, Pointer childIo, String childName) {
        PointerByReference options = new PointerByReference();
        rbd.rbd_image_options_create(options);
        try {
            return rbd.rbd_clone3(parentIo, parentName, parentSnap, childIo, childName, options.getValue());
        } finally {
            rbd.rbd_image_options_destroy(options.getValue());
        }
    }

    void setMetadata(Pointer image, String name, String key, String value) throws CephException {
        int rc = rbd.rbd_metadata_set(image, key, value);
        if (rc < 0) {
            throw RbdErrors.failure("cannot set metadata " + key + " on " + name, rc, null);
        }
    }

    Optional<String> metadata(Pointer image, String name, String key) throws CephException {
        long capacity = 256;
        while (true) {
            byte[] value = new byte[(int) capacity];
            LongByReference length = new LongByReference(capacity);
            int rc = rbd.rbd_metadata_get(image, key, value, length);
            if (rc == -RbdErrors.ENOENT) {
                return Optional.empty();
            }
            if (rc == -RbdErrors.ERANGE && length.getValue() > capacity && length.getValue() <= 1 << 20) {
                capacity = length.getValue();
                continue;
            }
            if (rc < 0) {
                throw RbdErrors.failure("cannot read metadata " + key + " of " + name, rc, null);
            }
            // librbd leaves the length alone on success: the value ends at its NUL
            int end = 0;
            while (end < value.length && value[end] != 0) {
                end++;
            }
            return Optional.of(new String(value, 0, end, StandardCharsets.UTF_8));
        }
    }

    /** The image's user snapshots, in creation order. */
    List<RbdSnap> snaps(Pointer image, String name) throws CephException {
        int max = 16;
        while (true) {
            Memory entries = new Memory((long) LibrbdNative.SNAP_INFO_SIZE * max);
            entries.clear();
            IntByReference count = new IntByReference(max);
            int rc = rbd.rbd_snap_list(image, entries, count);
            if (rc == -RbdErrors.ERANGE) {
                max = Math.max(count.getValue(), max * 2);
                continue;
            }
            if (rc < 0) {
                throw RbdErrors.failure("cannot list the snapshots of " + name, rc, null);
            }
            try {
                List<RbdSnap> snaps = new ArrayList<>(rc);
                for (int i = 0; i < rc; i++) {
                    long at = (long) i * LibrbdNative.SNAP_INFO_SIZE;
                    snaps.add(new RbdSnap(entries.getPointer(at + 16).getString(0, UTF_8), entries.getLong(at),
                            entries.getLong(at + 8)));
                }
                return snaps;
            } finally {
                rbd.rbd_snap_list_end(entries);
            }
        }
    }

    boolean snapExists(Pointer image, String name, String snap) throws CephException {
        ByteByReference exists = new ByteByReference();
        int rc = rbd.rbd_snap_exists(image, snap, exists);
        if (rc < 0) {
            throw RbdErrors.failure("cannot look up snapshot " + name + "@" + snap, rc, null);
        }
        return exists.getValue() != 0;
    }

    long size(Pointer image, String name) throws CephException {
        LongByReference size = new LongByReference();
        int rc = rbd.rbd_get_size(image, size);
        if (rc < 0) {
            throw RbdErrors.failure("cannot read the size of " + name, rc, null);
        }
        return size.getValue();
    }

    private static String string(Pointer p) {
        return p == null ? "" : p.getString(0, UTF_8);
    }
}
