package io.snapshotagent.ceph;

import com.ceph.rados.IoCTX;
import com.ceph.rbd.Rbd;
import com.ceph.rbd.RbdException;
import com.ceph.rbd.RbdImage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * {@link RbdImages} on librbd: rados-java 0.6.0 where it has the call, {@link Librbd} (JNA) where
 * it does not (parent info, flatten with progress, clone3, metadata, snapshot listing).
 *
 * <p>Each call takes a {@link RadosCluster.Lease} and opens the image for just that call, so
 * calls run in parallel and an image is never held open between steps; an error that says the
 * connection is broken (a timeout, a blocklisting) retires it for the next call.
 */
@ApplicationScoped
public class LibrbdImages implements RbdImages {

    private static final Logger LOG = Logger.getLogger(LibrbdImages.class);

    /** nova's {@code [libvirt] rbd_destroy_volume_retries} and {@code _retry_interval} defaults. */
    static final int DEFAULT_REMOVE_RETRIES = 12;
    static final Duration DEFAULT_REMOVE_RETRY_INTERVAL = Duration.ofSeconds(5);

    private final RadosCluster cluster;
    private final Librbd librbd;
    private final int removeRetries;
    private final Duration removeRetryInterval;

    @Inject
    LibrbdImages(RadosCluster cluster) {
        this(cluster, DEFAULT_REMOVE_RETRIES, DEFAULT_REMOVE_RETRY_INTERVAL);
    }

    /**
     * @param removeRetries       how many times a busy image is tried again before {@link RbdBusy}
     * @param removeRetryInterval the pause before each retry
     */
    public LibrbdImages(RadosCluster cluster, int removeRetries, Duration removeRetryInterval) {
        this.cluster = cluster;
        this.librbd = new Librbd();
        this.removeRetries = removeRetries;
        this.removeRetryInterval = removeRetryInterval;
    }

    @Override
    public String fsid() throws CephException {
        return cluster.fsid();
    }

    @Override
    public Optional<ParentSpec> parent(String pool, String image) throws CephException {
        return withImage(pool, image, true, open -> librbd.parent(open.getPointer(), spec(pool, image)));
    }

    @Override
    public boolean exists(String pool, String image) throws CephException {
        try {
            return withImage(pool, image, true, open -> true);
        } catch (RbdNotFound e) {
            return false;
        }
    }

    @Override
    public boolean snapExists(String pool, String image, String snap) throws CephException {
        try {
            return withImage(pool, image, true, open -> librbd.snapExists(open.getPointer(), spec(pool, image), snap));
        } catch (RbdNotFound e) {
            return false;
        }
    }

    @Override
    public List<String> listImages(String pool) throws CephException {
        return withPool(pool, (lease, io) -> {
            String[] names = rbd("cannot list the images of pool " + pool, () -> new Rbd(io).list());
            // rados-java splits an empty listing into one empty name
            return Arrays.stream(names).filter(name -> !name.isEmpty()).sorted().toList();
        });
    }

    @Override
    public List<RbdSnap> listSnaps(String pool, String image) throws CephException {
        return withImage(pool, image, true, open -> librbd.snaps(open.getPointer(), spec(pool, image)));
    }

    @Override
    public boolean snapProtected(String pool, String image, String snap) throws CephException {
        return withImage(pool, image, true, open ->
                rbd("cannot read the protection of " + spec(pool, image, snap), () -> open.snapIsProtected(snap)));
    }

    @Override
    public long size(String pool, String image) throws CephException {
        return withImage(pool, image, true, open -> librbd.size(open.getPointer(), spec(pool, image)));
    }

    @Override
    public void createSnap(String pool, String image, String snap, boolean protect) throws CephException {
        String spec = spec(pool, image, snap);
        withImage(pool, image, false, open -> {
            rbd("cannot create snapshot " + spec, () -> {
                open.snapCreate(snap);
                return null;
            });
            if (protect) {
                try {
                    rbd("cannot protect snapshot " + spec, () -> {
                        open.snapProtect(snap);
                        return null;
                    });
                } catch (CephException e) {
                    // half done is worse than not done: the caller would not know to remove it
                    try {
                        open.snapRemove(snap);
                    } catch (RbdException removal) {
                        e.addSuppressed(removal);
                    }
                    throw e;
                }
            }
            return null;
        });
        LOG.debugf("created snapshot %s%s", spec, protect ? " (protected)" : "");
    }

    @Override
    public void clone(String srcPool, String srcImage, String srcSnap, String dstPool, String dstImage)
            throws CephException {
        String what = "cannot clone " + spec(srcPool, srcImage, srcSnap) + " to " + spec(dstPool, dstImage);
        withPool(srcPool, (lease, srcIo) -> {
            IoCTX dstIo = lease.ioCtx(dstPool);
            int rc = librbd.clone(srcIo.getPointer(), srcImage, srcSnap, dstIo.getPointer(), dstImage);
            if (rc == -RbdErrors.EPERM || rc == -RbdErrors.EACCES) {
                // nova's words (rbd_utils.RBDDriver.clone), which operators search for
                throw new RbdForbidden(RbdErrors.describe("no write permission on storage pool " + dstPool
                        + " (" + what + ")", rc), rc, null);
            }
            if (rc < 0) {
                throw RbdErrors.failure(what, rc, null);
            }
            return null;
        });
        LOG.debugf("cloned %s to %s", spec(srcPool, srcImage, srcSnap), spec(dstPool, dstImage));
    }

    @Override
    public void flatten(String pool, String image, FlattenListener listener, BooleanSupplier cancelled)
            throws CephException {
        String spec = spec(pool, image);
        Thread caller = Thread.currentThread();
        AtomicBoolean stopped = new AtomicBoolean();
        AtomicReference<RuntimeException> listenerFailure = new AtomicReference<>();
        AtomicLong done = new AtomicLong();
        AtomicLong total = new AtomicLong();
        // Runs on librbd's threads. librbd aborts on a negative return, after the objects in
        // flight; a Java exception must not escape into native code.
        LibrbdNative.ProgressFn progress = (offset, of, arg) -> {
            if (stopped.get()) {
                return -RbdErrors.ECANCELED;
            }
            try {
                if (caller.isInterrupted() || cancelled.getAsBoolean()) {
                    stopped.set(true);
                    return -RbdErrors.ECANCELED;
                }
                done.set(offset);
                total.set(of);
                listener.progress(offset, of);
                return 0;
            } catch (RuntimeException e) {
                listenerFailure.compareAndSet(null, e);
                stopped.set(true);
                return -RbdErrors.ECANCELED;
            }
        };
        int rc = withImage(pool, image, false, open -> {
            if (librbd.parent(open.getPointer(), spec).isEmpty()) {
                return 0;
            }
            return librbd.flatten(open.getPointer(), progress);
        });
        if (listenerFailure.get() != null) {
            throw listenerFailure.get();
        }
        if (stopped.get() && rc < 0) {
            throw new RbdCancelled("flatten of " + spec + " cancelled at object " + done.get() + " of " + total.get());
        }
        if (rc < 0) {
            throw RbdErrors.failure("cannot flatten " + spec, rc, null);
        }
        LOG.debugf("flattened %s", spec);
    }

    @Override
    public boolean removeSnap(String pool, String image, String snap) throws CephException {
        String spec = spec(pool, image, snap);
        boolean removed;
        try {
            removed = withImage(pool, image, false, open -> {
                if (!librbd.snapExists(open.getPointer(), spec(pool, image), snap)) {
                    return false;
                }
                if (rbd("cannot read the protection of " + spec, () -> open.snapIsProtected(snap))) {
                    rbd("cannot unprotect " + spec + " (does it still have clones?)", () -> {
                        open.snapUnprotect(snap);
                        return null;
                    });
                }
                try {
                    rbd("cannot remove snapshot " + spec, () -> {
                        open.snapRemove(snap);
                        return null;
                    });
                } catch (RbdNotFound e) {
                    return false;
                }
                return true;
            });
        } catch (RbdNotFound e) {
            return false;
        }
        if (removed) {
            LOG.debugf("removed snapshot %s", spec);
        }
        return removed;
    }

    @Override
    public boolean removeImage(String pool, String image) throws CephException {
        String spec = spec(pool, image);
        for (int attempt = 0; ; attempt++) {
            try {
                withPool(pool, (lease, io) -> rbd("cannot remove " + spec, () -> {
                    new Rbd(io).remove(image);
                    return null;
                }));
                LOG.debugf("removed image %s", spec);
                return true;
            } catch (RbdNotFound e) {
                return false;
            } catch (RbdBusy e) {
                if (e.errno() != RbdErrors.EBUSY || attempt >= removeRetries) {
                    throw e;
                }
                LOG.infof("%s is busy, trying again in %s (%d of %d)", spec, removeRetryInterval, attempt + 1,
                        removeRetries);
                try {
                    Thread.sleep(removeRetryInterval.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    e.addSuppressed(interrupted);
                    throw e;
                }
            }
        }
    }

    @Override
    public void setMetadata(String pool, String image, String key, String value) throws CephException {
        withImage(pool, image, false, open -> {
            librbd.setMetadata(open.getPointer(), spec(pool, image), key, value);
            return null;
        });
    }

    @Override
    public Optional<String> metadata(String pool, String image, String key) throws CephException {
        return withImage(pool, image, true, open -> librbd.metadata(open.getPointer(), spec(pool, image), key));
    }

    static String spec(String pool, String image) {
        return pool + "/" + image;
    }

    static String spec(String pool, String image, String snap) {
        return pool + "/" + image + "@" + snap;
    }

    private interface PoolWork<T> {
        T run(RadosCluster.Lease lease, IoCTX io) throws CephException;
    }

    private interface ImageWork<T> {
        T run(RbdImage image) throws CephException;
    }

    private interface RbdCall<T> {
        T call() throws RbdException;
    }

    private static <T> T rbd(String what, RbdCall<T> call) throws CephException {
        try {
            return call.call();
        } catch (RbdException e) {
            throw RbdErrors.failure(what, e.getReturnValue(), e);
        }
    }

    private <T> T withPool(String pool, PoolWork<T> work) throws CephException {
        try (RadosCluster.Lease lease = cluster.lease()) {
            try {
                return work.run(lease, lease.ioCtx(pool));
            } catch (CephException e) {
                if (RbdErrors.connectionFailure(e.errno())) {
                    lease.retire();
                }
                throw e;
            }
        }
    }

    private <T> T withImage(String pool, String image, boolean readOnly, ImageWork<T> work) throws CephException {
        String spec = spec(pool, image);
        return withPool(pool, (lease, io) -> {
            Rbd rbd = new Rbd(io);
            RbdImage open = rbd("cannot open " + spec, () -> readOnly ? rbd.openReadOnly(image) : rbd.open(image));
            try {
                return work.run(open);
            } finally {
                try {
                    rbd.close(open);
                } catch (RbdException e) {
                    LOG.warnf("closing %s failed: %s", spec, e.getMessage());
                }
            }
        });
    }
}
