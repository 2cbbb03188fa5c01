package io.snapshotagent.ceph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * An in-memory cluster with librbd's rules where they matter to a direct snapshot: a clone needs a
 * protected parent snapshot, a snapshot with clones cannot be unprotected, an image with snapshots
 * cannot be removed, names are unique, pools can be read-only for the client. Failures are
 * injected per call ("op spec"), either before the call does anything or after it took effect
 * (a timeout whose operation did happen).
 */
final class FakeRbdImages implements RbdImages {

    static final String FSID = "b61e4fff-83b0-4d98-846f-5615816c0cce";

    private static final class Image {
        ParentSpec parent;
        final Map<String, Boolean> snaps = new LinkedHashMap<>();
        final Map<String, String> metadata = new TreeMap<>();
        int objects = 4;

        Image copy() {
            Image c = new Image();
            c.parent = parent;
            c.snaps.putAll(snaps);
            c.metadata.putAll(metadata);
            c.objects = objects;
            return c;
        }

        @Override
        public String toString() {
            return "parent=" + parent + " snaps=" + snaps + " metadata=" + metadata;
        }
    }

    private final Map<String, Image> images = new TreeMap<>();
    private final Set<String> readOnlyPools;
    private final Map<String, CephException> failBefore = new HashMap<>();
    private final Map<String, CephException> failAfter = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    /** Runs at each flatten progress step, e.g. to cancel from "another thread". */
    Runnable duringFlatten = () -> { };

    FakeRbdImages(Set<String> readOnlyPools) {
        this.readOnlyPools = readOnlyPools;
    }

    void addImage(String pool, String name) {
        images.put(pool + "/" + name, new Image());
    }

    void addSnap(String pool, String name, String snap, boolean protect) {
        image(pool + "/" + name).snaps.put(snap, protect);
    }

    void addClone(String pool, String name, ParentSpec parent, Map<String, String> metadata) {
        Image image = new Image();
        image.parent = parent;
        image.metadata.putAll(metadata);
        images.put(pool + "/" + name, image);
    }

    /** The next {@code op} on {@code spec} throws {@code e} without doing anything. */
    void failBefore(String op, String spec, CephException e) {
        failBefore.put(op + " " + spec, e);
    }

    /** The next {@code op} on {@code spec} does its work, then throws {@code e}. */
    void failAfter(String op, String spec, CephException e) {
        failAfter.put(op + " " + spec, e);
    }

    /** The whole cluster as text, to compare states. */
    String state() {
        Map<String, String> copy = new TreeMap<>();
        images.forEach((k, v) -> copy.put(k, v.copy().toString()));
        return copy.toString();
    }

    Optional<ParentSpec> parentOf(String spec) {
        return Optional.ofNullable(image(spec).parent);
    }

    Map<String, Boolean> snapsOf(String spec) {
        return Map.copyOf(image(spec).snaps);
    }

    Map<String, String> metadataOf(String spec) {
        return Map.copyOf(image(spec).metadata);
    }

    private Image image(String spec) {
        return images.get(spec);
    }

    private Image existing(String op, String spec) throws CephException {
        Image image = images.get(spec);
        if (image == null) {
            throw RbdErrors.failure(op + " " + spec, -RbdErrors.ENOENT, null);
        }
        return image;
    }

    private void before(String op, String spec) throws CephException {
        calls.add(op + " " + spec);
        CephException e = failBefore.remove(op + " " + spec);
        if (e != null) {
            throw e;
        }
    }

    private void after(String op, String spec) throws CephException {
        CephException e = failAfter.remove(op + " " + spec);
        if (e != null) {
            throw e;
        }
    }

    private void writable(String pool, String spec) throws CephException {
        if (readOnlyPools.contains(pool)) {
            throw RbdErrors.failure("cannot open " + spec, -RbdErrors.EPERM, null);
        }
    }

    private boolean hasClones(ParentSpec snap) {
        return images.values().stream().anyMatch(i -> snap.equals(i.parent));
    }

    @Override
    public String fsid() throws CephException {
        before("fsid", "");
        return FSID;
    }

    @Override
    public Optional<ParentSpec> parent(String pool, String image) throws CephException {
        String spec = pool + "/" + image;
        before("parent", spec);
        return Optional.ofNullable(existing("parent", spec).parent);
    }

    @Override
    public boolean exists(String pool, String image) throws CephException {
        before("exists", pool + "/" + image);
        return images.containsKey(pool + "/" + image);
    }

    @Override
    public boolean snapExists(String pool, String image, String snap) throws CephException {
        String spec = pool + "/" + image;
        before("snapExists", spec + "@" + snap);
        return images.containsKey(spec) && images.get(spec).snaps.containsKey(snap);
    }

    @Override
    public List<String> listImages(String pool) throws CephException {
        before("listImages", pool);
        return images.keySet().stream().filter(k -> k.startsWith(pool + "/"))
                .map(k -> k.substring(pool.length() + 1)).toList();
    }

    @Override
    public List<RbdSnap> listSnaps(String pool, String image) throws CephException {
        String spec = pool + "/" + image;
        before("listSnaps", spec);
        List<RbdSnap> snaps = new ArrayList<>();
        long id = 1;
        for (String name : existing("listSnaps", spec).snaps.keySet()) {
            snaps.add(new RbdSnap(name, id++, 4L << 22));
        }
        return snaps;
    }

    @Override
    public boolean snapProtected(String pool, String image, String snap) throws CephException {
        String spec = pool + "/" + image;
        before("snapProtected", spec + "@" + snap);
        Boolean p = existing("snapProtected", spec).snaps.get(snap);
        if (p == null) {
            throw RbdErrors.failure(spec + "@" + snap, -RbdErrors.ENOENT, null);
        }
        return p;
    }

    @Override
    public long size(String pool, String image) throws CephException {
        String spec = pool + "/" + image;
        before("size", spec);
        return existing("size", spec).objects * (4L << 20);
    }

    @Override
    public void createSnap(String pool, String image, String snap, boolean protect) throws CephException {
        String spec = pool + "/" + image;
        before("createSnap", spec + "@" + snap);
        writable(pool, spec);
        Image i = existing("createSnap", spec);
        if (i.snaps.containsKey(snap)) {
            throw RbdErrors.failure("cannot create snapshot " + spec + "@" + snap, -RbdErrors.EEXIST, null);
        }
        i.snaps.put(snap, protect);
        after("createSnap", spec + "@" + snap);
    }

    @Override
    public void clone(String srcPool, String srcImage, String srcSnap, String dstPool, String dstImage)
            throws CephException {
        String dst = dstPool + "/" + dstImage;
        before("clone", dst);
        Image source = existing("clone", srcPool + "/" + srcImage);
        if (!Boolean.TRUE.equals(source.snaps.get(srcSnap))) {
            throw RbdErrors.failure("clone needs a protected snapshot", -RbdErrors.EINVAL, null);
        }
        if (readOnlyPools.contains(dstPool)) {
            throw new RbdForbidden("no write permission on storage pool " + dstPool, RbdErrors.EPERM, null);
        }
        if (images.containsKey(dst)) {
            throw RbdErrors.failure("cannot clone to " + dst, -RbdErrors.EEXIST, null);
        }
        Image clone = new Image();
        clone.parent = new ParentSpec(srcPool, srcImage, srcSnap);
        clone.objects = source.objects;
        images.put(dst, clone);
        after("clone", dst);
    }

    @Override
    public void flatten(String pool, String image, FlattenListener listener, BooleanSupplier cancelled)
            throws CephException {
        String spec = pool + "/" + image;
        before("flatten", spec);
        Image i = existing("flatten", spec);
        if (i.parent == null) {
            return;
        }
        for (int done = 0; done < i.objects; done++) {
            duringFlatten.run();
            if (Thread.currentThread().isInterrupted() || cancelled.getAsBoolean()) {
                throw new RbdCancelled("flatten of " + spec + " cancelled at object " + done);
            }
            listener.progress(done, i.objects);
        }
        i.parent = null;
        after("flatten", spec);
    }

    @Override
    public boolean removeSnap(String pool, String image, String snap) throws CephException {
        String spec = pool + "/" + image;
        before("removeSnap", spec + "@" + snap);
        Image i = images.get(spec);
        if (i == null || !i.snaps.containsKey(snap)) {
            return false;
        }
        writable(pool, spec);
        if (hasClones(new ParentSpec(pool, image, snap))) {
            throw RbdErrors.failure("cannot unprotect " + spec + "@" + snap, -RbdErrors.EBUSY, null);
        }
        i.snaps.remove(snap);
        after("removeSnap", spec + "@" + snap);
        return true;
    }

    @Override
    public boolean removeImage(String pool, String image) throws CephException {
        String spec = pool + "/" + image;
        before("removeImage", spec);
        Image i = images.get(spec);
        if (i == null) {
            return false;
        }
        writable(pool, spec);
        if (!i.snaps.isEmpty()) {
            throw RbdErrors.failure("cannot remove " + spec, -RbdErrors.ENOTEMPTY, null);
        }
        images.remove(spec);
        after("removeImage", spec);
        return true;
    }

    @Override
    public void setMetadata(String pool, String image, String key, String value) throws CephException {
        String spec = pool + "/" + image;
        before("setMetadata", spec);
        writable(pool, spec);
        existing("setMetadata", spec).metadata.put(key, value);
        after("setMetadata", spec);
    }

    @Override
    public Optional<String> metadata(String pool, String image, String key) throws CephException {
        String spec = pool + "/" + image;
        before("metadata", spec);
        return Optional.ofNullable(existing("metadata", spec).metadata.get(key));
    }
}
