package io.snapshotagent.ceph;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * nova's RBD {@code direct_snapshot} (imagebackend.Rbd), without its leaks: the instance disk is
 * snapshotted, cloned into the target pool under the Glance image id, flattened, and given the
 * protected snapshot {@code snap} that Glance's location points at.
 *
 * <p>Differences from nova:
 * <ul>
 * <li>Any failure, including a failed or cancelled flatten, removes everything this run made (the
 * clone and its snapshots, the disk's temporary snapshot) before the error is rethrown; nova leaves
 * the clone behind when the flatten fails. The disk is left exactly as it was.</li>
 * <li>The temporary snapshot is named after the task ({@code snapshot-agent-<taskId>}) and the clone
 * carries the task id in its image metadata ({@value #TASK_KEY}), so after a crash
 * {@link #cleanup} can remove the task's leftovers, and only those: an image under the same name
 * that is not provably the task's is never touched.</li>
 * <li>The flatten reports progress and can be cancelled (a flag or a thread interrupt).</li>
 * </ul>
 *
 * <p><b>The target pool is the caller's choice</b>, as the result of nova's
 * {@code _get_parent_pool}: (1) the pool of {@link RbdImages#parent} of the disk, when the disk is
 * a clone (normally of the Glance image it was booted from); otherwise (2) the pool of the first
 * location of the instance's base image in Glance whose fsid is {@link RbdImages#fsid()} (needs
 * Glance's {@code show_multiple_locations}/{@code show_image_direct_url}); otherwise nova raises
 * {@code ImageUnacceptable} and falls back to the standard snapshot. Step 2 needs Glance, which this
 * package does not talk to. An {@link RbdForbidden} from {@link #directSnapshot} (no write caps on
 * the target pool) is nova's other reason to fall back.
 *
 * <p>Blocking; run it on a worker thread. The flatten takes about 4 s per GiB of written data on
 * the local stack.
 */
@ApplicationScoped
public class RbdDirectSnapshot {

    private static final Logger LOG = Logger.getLogger(RbdDirectSnapshot.class);

    /** The disk's temporary snapshot is this plus the task id. */
    public static final String SOURCE_SNAP_PREFIX = "snapshot-agent-";

    /** The clone's snapshot Glance points at: glance_store's fixed name, which nova uses too. */
    public static final String SNAP = "snap";

    /** The clone's image-metadata key holding the id of the task that made it. */
    public static final String TASK_KEY = "snapshot-agent.task-id";

    private final RbdImages images;

    public RbdDirectSnapshot(RbdImages images) {
        this.images = images;
    }

    /**
     * Takes the snapshot.
     *
     * @param progress  the flatten's progress (librbd threads; see {@link FlattenListener})
     * @param cancelled polled between steps on this thread and during the flatten on librbd's (so it must
     *                  answer at once); a thread interrupt counts too
     * @return {@code rbd://<fsid>/<targetPool>/<imageId>/snap}, the location to add to the image
     * @throws RbdForbidden  no write permission on the target pool: fall back, as nova does
     * @throws RbdExists     the clone's name is taken, or the task's snapshot of the disk is left
     *                       from an earlier run (see {@link #cleanup}); neither was touched
     * @throws RbdCancelled  cancelled; everything made was removed
     * @throws CephException anything else; everything made was removed (or, if the cluster failed
     *                       that too, the removal failures are suppressed exceptions of this one and
     *                       {@link #cleanup} will finish the job)
     */
    public RbdLocation directSnapshot(DirectSnapshotRequest request, FlattenListener progress,
                                      BooleanSupplier cancelled) throws CephException {
        String disk = LibrbdImages.spec(request.diskPool(), request.diskImage());
        String clone = LibrbdImages.spec(request.targetPool(), request.cloneImage());
        String sourceSnap = request.sourceSnap();
        Made made = new Made();
        long started = System.nanoTime();
        try {
            String fsid = images.fsid();
            checkCancelled(request, cancelled, "before it started");
            try {
                images.createSnap(request.diskPool(), request.diskImage(), sourceSnap, true);
            } catch (RbdExists e) {
                throw new RbdExists(disk + "@" + sourceSnap + " exists already: left by an earlier run of task "
                        + request.taskId() + "? cleanup() removes it", e.errno(), e);
            } catch (CephException | RuntimeException e) {
                // e.g. a timeout after librbd made it; the name is this task's, so it can go
                made.sourceSnap = true;
                throw e;
            }
            made.sourceSnap = true;
            checkCancelled(request, cancelled, "after the disk's snapshot");
            try {
                images.clone(request.diskPool(), request.diskImage(), sourceSnap, request.targetPool(),
                        request.cloneImage());
            } catch (RbdExists | RbdForbidden e) {
                throw e;
            } catch (CephException | RuntimeException e) {
                made.cloneIfOwned = true;
                throw e;
            }
            made.clone = true;
            images.setMetadata(request.targetPool(), request.cloneImage(), TASK_KEY, request.taskId().toString());
            long flattenStarted = System.nanoTime();
            images.flatten(request.targetPool(), request.cloneImage(), progress, cancelled);
            long flattenMillis = (System.nanoTime() - flattenStarted) / 1_000_000;
            images.removeSnap(request.diskPool(), request.diskImage(), sourceSnap);
            made.sourceSnap = false;
            checkCancelled(request, cancelled, "after the flatten");
            images.createSnap(request.targetPool(), request.cloneImage(), SNAP, true);
            RbdLocation location = new RbdLocation(fsid, request.targetPool(), request.cloneImage(), SNAP);
            LOG.infof("direct snapshot of %s for task %s: %s in %d ms (flatten %d ms)", disk, request.taskId(),
                    location, (System.nanoTime() - started) / 1_000_000, flattenMillis);
            return location;
        } catch (CephException | RuntimeException e) {
            LOG.infof("direct snapshot of %s to %s for task %s failed, removing what it made: %s", disk, clone,
                    request.taskId(), e.getMessage());
            undo(request, made, e);
            throw e;
        }
    }

    /**
     * What {@code request}'s task left in the cluster: the disk's temporary snapshot, and the clone
     * with its {@code snap} if the clone is the task's (its {@value #TASK_KEY} metadata says so, or,
     * if it has none yet, it is a clone of the task's temporary snapshot).
     */
    public DirectSnapshotLeftovers leftovers(DirectSnapshotRequest request) throws CephException {
        Optional<String> sourceSnap = Optional.empty();
        if (images.snapExists(request.diskPool(), request.diskImage(), request.sourceSnap())) {
            sourceSnap = Optional.of(LibrbdImages.spec(request.diskPool(), request.diskImage(), request.sourceSnap()));
        }
        Optional<String> clone = Optional.empty();
        Optional<String> cloneSnap = Optional.empty();
        if (cloneIsOwned(request)) {
            clone = Optional.of(LibrbdImages.spec(request.targetPool(), request.cloneImage()));
            if (images.snapExists(request.targetPool(), request.cloneImage(), SNAP)) {
                cloneSnap = Optional.of(LibrbdImages.spec(request.targetPool(), request.cloneImage(), SNAP));
            }
        }
        return new DirectSnapshotLeftovers(sourceSnap, clone, cloneSnap);
    }

    /**
     * Removes {@code request}'s leftovers (see {@link #leftovers}): for a crash-recovery hook, or when
     * Glance refused the location. Idempotent. It removes a finished snapshot too, so call it only
     * when the Glance image will not use it. Safe to call for every pool the task may have targeted.
     *
     * @return what was there and is now gone
     */
    public DirectSnapshotLeftovers cleanup(DirectSnapshotRequest request) throws CephException {
        DirectSnapshotLeftovers found = leftovers(request);
        if (found.cloneImage().isPresent()) {
            images.removeSnap(request.targetPool(), request.cloneImage(), SNAP);
            images.removeImage(request.targetPool(), request.cloneImage());
        }
        // after the clone: a snapshot with clones cannot be unprotected
        if (found.sourceSnap().isPresent()) {
            images.removeSnap(request.diskPool(), request.diskImage(), request.sourceSnap());
        }
        if (!found.isEmpty()) {
            LOG.infof("removed the leftovers of task %s: %s", request.taskId(), found);
        }
        return found;
    }

    /**
     * Every temporary snapshot of a direct snapshot in {@code pool}, with its task: what a sweeper
     * compares with the tasks still running. Reads every image's snapshot list.
     */
    public List<SourceSnap> sourceSnaps(String pool) throws CephException {
        List<SourceSnap> found = new ArrayList<>();
        for (String image : images.listImages(pool)) {
            List<RbdSnap> snaps;
            try {
                snaps = images.listSnaps(pool, image);
            } catch (RbdNotFound e) {
                continue; // removed since the listing
            }
            for (RbdSnap snap : snaps) {
                taskOf(snap.name()).ifPresent(task -> found.add(new SourceSnap(task, pool, image, snap.name())));
            }
        }
        return found;
    }

    /** The task id in a temporary snapshot's name; empty for any other name. */
    static Optional<UUID> taskOf(String snapName) {
        if (!snapName.startsWith(SOURCE_SNAP_PREFIX)) {
            return Optional.empty();
        }
        String id = snapName.substring(SOURCE_SNAP_PREFIX.length());
        try {
            UUID task = UUID.fromString(id);
            return task.toString().equals(id) ? Optional.of(task) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private boolean cloneIsOwned(DirectSnapshotRequest request) throws CephException {
        String pool = request.targetPool();
        String image = request.cloneImage();
        Optional<String> tag;
        Optional<ParentSpec> parent;
        try {
            tag = images.metadata(pool, image, TASK_KEY);
            parent = tag.isPresent() ? Optional.empty() : images.parent(pool, image);
        } catch (RbdNotFound e) {
            return false;
        }
        boolean owned = tag.map(request.taskId().toString()::equals)
                .orElseGet(() -> parent.equals(Optional.of(
                        new ParentSpec(request.diskPool(), request.diskImage(), request.sourceSnap()))));
        if (!owned) {
            LOG.warnf("%s exists but is not task %s's (task %s, parent %s): leaving it alone",
                    LibrbdImages.spec(pool, image), request.taskId(), tag.orElse("none"),
                    parent.map(ParentSpec::toString).orElse("none"));
        }
        return owned;
    }

    private static void checkCancelled(DirectSnapshotRequest request, BooleanSupplier cancelled, String when)
            throws RbdCancelled {
        if (Thread.currentThread().isInterrupted() || cancelled.getAsBoolean()) {
            throw new RbdCancelled("direct snapshot of " + request.diskPool() + "/" + request.diskImage()
                    + " for task " + request.taskId() + " cancelled " + when);
        }
    }

    /** Removes what this run made, newest first; what cannot be removed is added to {@code failure}. */
    private void undo(DirectSnapshotRequest request, Made made, Exception failure) {
        // the removals must run even when the failure was an interrupt (a sleep between busy
        // retries would end at once); the interrupt is put back afterwards
        boolean interrupted = Thread.interrupted();
        try {
            boolean removeClone = made.clone;
            if (!removeClone && made.cloneIfOwned) {
                try {
                    removeClone = cloneIsOwned(request);
                } catch (CephException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            if (removeClone) {
                try {
                    images.removeSnap(request.targetPool(), request.cloneImage(), SNAP);
                    images.removeImage(request.targetPool(), request.cloneImage());
                } catch (CephException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            if (made.sourceSnap) {
                try {
                    images.removeSnap(request.diskPool(), request.diskImage(), request.sourceSnap());
                } catch (CephException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            for (Throwable left : failure.getSuppressed()) {
                LOG.warnf("task %s left something behind, cleanup() will remove it: %s", request.taskId(),
                        left.getMessage());
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What the current run has made and must remove if it fails. */
    private static final class Made {
        boolean sourceSnap;
        boolean clone;
        /** The clone call failed in a way that may still have made it (e.g. a timeout). */
        boolean cloneIfOwned;
    }
}
