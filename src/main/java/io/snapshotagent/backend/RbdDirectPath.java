package io.snapshotagent.backend;

import io.snapshotagent.ceph.CephException;
import io.snapshotagent.ceph.DirectSnapshotRequest;
import io.snapshotagent.ceph.ParentSpec;
import io.snapshotagent.ceph.RbdDirectSnapshot;
import io.snapshotagent.ceph.RbdForbidden;
import io.snapshotagent.ceph.RbdImages;
import io.snapshotagent.ceph.RbdLocation;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * nova's {@code Rbd.direct_snapshot} with its parent-pool rule, done with librbd: the Glance image
 * becomes a flattened copy-on-write clone of the disk inside Ceph, and Glance only gets its
 * location. Unlike nova, nothing is left behind when a step fails after the clone.
 */
@ApplicationScoped
public class RbdDirectPath {

    private static final Logger LOG = Logger.getLogger(RbdDirectPath.class);

    private final RbdImages rbd;
    private final RbdDirectSnapshot direct;
    private final GlanceImages glance;
    private final String imagesPool;
    private final RbdJanitor janitor;

    RbdDirectPath(RbdImages rbd, RbdDirectSnapshot direct, GlanceImages glance, AgentConfig config, RbdJanitor janitor) {
        this.janitor = janitor;
        this.rbd = rbd;
        this.direct = direct;
        this.glance = glance;
        this.imagesPool = config.rbd().imagesPool();
    }

    /**
     * Where the clone goes, as nova's {@code _get_parent_pool}: the pool of the disk's clone parent;
     * else the pool of the base image's Glance location in this cluster; else the configured
     * images pool (an addition to nova, which would fall back here: the agent's own images pool is
     * what operators configure for exactly this).
     */
    String targetPool(GuestDisk.RbdImageName disk, Optional<String> baseImageRef, String fsid) throws CephException {
        Optional<ParentSpec> parent = rbd.parent(disk.pool(), disk.image());
        if (parent.isPresent()) {
            return parent.get().pool();
        }
        if (baseImageRef.isPresent()) {
            try {
                GlanceImage base = glance.get(UUID.fromString(baseImageRef.get()));
                for (String url : base.locations()) {
                    try {
                        RbdLocation l = RbdLocation.parse(url);
                        if (l.fsid().equals(fsid)) {
                            return l.pool();
                        }
                    } catch (IllegalArgumentException notRbd) {
                        // a file or http location of the base image: not usable for the pool
                    }
                }
            } catch (GlanceException | IllegalArgumentException e) {
                LOG.debugf("base image %s gives no pool: %s", baseImageRef.get(), e.getMessage());
            }
        }
        return imagesPool;
    }

    /**
     * Takes the snapshot into {@code <pool>/<image id>@snap}.
     *
     * @return the request (to clean up with if a later step fails) and the location
     * @throws DirectSnapshotUnavailable when the cluster refuses the clone (no write caps): fall back
     */
    Taken snapshot(SnapshotJob job, GuestDisk.RbdImageName disk, BooleanSupplier cancelled)
            throws DirectSnapshotUnavailable, CephException {
        String fsid = rbd.fsid();
        String pool = targetPool(disk, job.instance().baseImageRef(), fsid);
        DirectSnapshotRequest request = new DirectSnapshotRequest(job.taskId(), disk.pool(), disk.image(), pool, job.imageId());
        try {
            RbdLocation location = direct.directSnapshot(request, (done, total) -> { }, cancelled);
            return new Taken(request, location);
        } catch (RbdForbidden e) {
            throw new DirectSnapshotUnavailable(e.getMessage(), e);
        } catch (CephException e) {
            if (e.getSuppressed().length > 0) {
                // the undo failed as well (the cluster is unwell): finish it when it is back
                janitor.later(request, e.getSuppressed()[0].getMessage());
            }
            throw e;
        }
    }

    /** Undoes {@link #snapshot} (the clone and its snap); for failures after it. */
    void discard(DirectSnapshotRequest request) {
        try {
            direct.cleanup(request);
        } catch (CephException e) {
            janitor.later(request, e.getMessage());
        }
    }

    /** The image's data is the clone: set nova's metadata, then add the location. */
    GlanceImage register(UUID imageId, java.util.Map<String, String> metadata, RbdLocation location) throws GlanceException {
        glance.update(imageId, metadata);
        return glance.addLocation(imageId, location.url());
    }

    record Taken(DirectSnapshotRequest request, RbdLocation location) {
    }
}
