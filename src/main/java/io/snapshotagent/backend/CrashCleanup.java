package io.snapshotagent.backend;

import io.snapshotagent.ceph.CephException;
import io.snapshotagent.ceph.DirectSnapshotLeftovers;
import io.snapshotagent.ceph.DirectSnapshotRequest;
import io.snapshotagent.ceph.RbdDirectSnapshot;
import io.snapshotagent.ceph.RbdLocation;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.hypervisor.DiskBackend;
import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.hypervisor.Guests;
import io.snapshotagent.hypervisor.HypervisorException;
import io.snapshotagent.hypervisor.LiveSnapshot;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import io.snapshotagent.qemu.ScratchDirectories;
import io.snapshotagent.qemu.ScratchSpaceException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * After a crash, what a snapshot that was running may have left: the guest in managed save, the
 * scratch directory, the RBD temporary snapshot and clone, a Glance image that is not active.
 * Where nova's restart only clears the task state, this puts the host back as it was — or, if the
 * image did become active with its data in place, reports the snapshot as done.
 */
@ApplicationScoped
public class CrashCleanup {

    private static final Logger LOG = Logger.getLogger(CrashCleanup.class);

    private final Guests guests;
    private final ScratchDirectories scratch;
    private final RbdDirectSnapshot direct;
    private final GlanceImages glance;
    private final AgentConfig config;
    private final RbdJanitor janitor;
    private final LiveSnapshot live;

    CrashCleanup(Guests guests, ScratchDirectories scratch, RbdDirectSnapshot direct, GlanceImages glance,
            AgentConfig config, RbdJanitor janitor, LiveSnapshot live) {
        this.live = live;
        this.janitor = janitor;
        this.guests = guests;
        this.scratch = scratch;
        this.direct = direct;
        this.glance = glance;
        this.config = config;
    }

    /** What recovery found. */
    public enum Outcome {
        /** The image is active: the snapshot finished before the agent stopped. */
        COMPLETED,
        /** Everything is undone; the image is deleted. */
        UNDONE,
        /** Something could not be undone now (a dependency is down); the message says what. */
        INCOMPLETE
    }

    public record Result(Outcome outcome, String detail) {
    }

    public Result clean(UUID taskId, UUID instanceUuid, UUID imageId) {
        StringBuilder problems = new StringBuilder();
        Optional<GlanceImage> image = image(imageId, problems);
        boolean active = image.map(GlanceImage::isActive).orElse(false);

        if (java.nio.file.Files.exists(scratch.root().resolve(ScratchDirectories.PREFIX + taskId)
                .resolve(ColdExtract.SAVED_MARKER))) {
            restoreGuest(instanceUuid, problems);
        }
        try {
            // before the sweep: the rebase fallback keeps the domain's config in the scratch directory
            live.cleanupAfterCrash(instanceUuid, scratch.root().resolve(ScratchDirectories.PREFIX + taskId));
        } catch (HypervisorException e) {
            if (!HypervisorException.INSTANCE_NOT_FOUND.equals(e.code())) {
                problems.append("block job: ").append(e.getMessage()).append("; ");
            }
        }
        try {
            if (scratch.sweep(taskId)) {
                LOG.infof("task %s: removed its scratch directory", taskId);
            }
        } catch (ScratchSpaceException e) {
            problems.append("scratch directory: ").append(e.getMessage()).append("; ");
        }
        removeRbdLeftovers(taskId, instanceUuid, imageId, image, active, problems);

        if (active) {
            return new Result(Outcome.COMPLETED, "image " + imageId + " is active");
        }
        if (image.isPresent()) {
            try {
                glance.delete(imageId);
            } catch (GlanceException e) {
                problems.append("glance: ").append(e.getMessage()).append("; ");
            }
        }
        return problems.isEmpty() ? new Result(Outcome.UNDONE, "cleaned up")
                : new Result(Outcome.INCOMPLETE, problems.toString());
    }

    private Optional<GlanceImage> image(UUID imageId, StringBuilder problems) {
        try {
            return Optional.of(glance.get(imageId));
        } catch (ImageNotFound e) {
            return Optional.empty();
        } catch (GlanceException e) {
            problems.append("glance: ").append(e.getMessage()).append("; ");
            return Optional.empty();
        }
    }

    private void restoreGuest(UUID instanceUuid, StringBuilder problems) {
        try {
            // the agent saved it for a cold snapshot and died before bringing it back
            guests.restoreManagedSave(instanceUuid);
        } catch (HypervisorException e) {
            if (!HypervisorException.INSTANCE_NOT_FOUND.equals(e.code())) {
                problems.append("guest: ").append(e.getMessage()).append("; ");
            }
        }
    }

    private void removeRbdLeftovers(UUID taskId, UUID instanceUuid, UUID imageId, Optional<GlanceImage> image,
            boolean active, StringBuilder problems) {
        String diskPool = config.rbd().pool();
        String diskImage = instanceUuid + "_disk";
        try {
            GuestDisk disk = guests.rootDisk(instanceUuid);
            if (disk.backend() != DiskBackend.RBD) {
                return;
            }
            diskPool = disk.rbd().orElseThrow().pool();
            diskImage = disk.rbd().orElseThrow().image();
        } catch (HypervisorException e) {
            // no domain any more: nova's disk name in the configured pool is the best guess
        }
        Set<String> pools = new LinkedHashSet<>();
        pools.add(config.rbd().imagesPool());
        image.ifPresent(i -> i.locations().forEach(url -> {
            try {
                pools.add(RbdLocation.parse(url).pool());
            } catch (IllegalArgumentException notRbd) {
                // not an rbd location
            }
        }));
        for (String pool : pools) {
            DirectSnapshotRequest request = new DirectSnapshotRequest(taskId, diskPool, diskImage, pool, imageId);
            try {
                DirectSnapshotLeftovers left;
                if (active) {
                    // the clone is the image's data now: only the disk's temporary snapshot goes
                    left = direct.leftovers(request);
                    if (left.sourceSnap().isPresent()) {
                        direct.cleanup(new DirectSnapshotRequest(taskId, diskPool, diskImage, pool, UUID.randomUUID()));
                    }
                } else {
                    left = direct.cleanup(request);
                }
                if (!left.isEmpty()) {
                    LOG.infof("task %s: removed RBD leftovers %s", taskId, left.specs());
                }
            } catch (CephException e) {
                problems.append("ceph: ").append(e.getMessage()).append("; ");
                if (!active) {
                    janitor.later(request, e.getMessage());
                }
            }
        }
    }
}
