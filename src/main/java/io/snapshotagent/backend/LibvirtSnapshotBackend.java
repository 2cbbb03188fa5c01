package io.snapshotagent.backend;

import io.snapshotagent.ceph.CephException;
import io.snapshotagent.ceph.RbdCancelled;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.hypervisor.DiskBackend;
import io.snapshotagent.hypervisor.GuestDisk;
import io.snapshotagent.hypervisor.Guests;
import io.snapshotagent.hypervisor.HypervisorException;
import io.snapshotagent.hypervisor.LibvirtConnection;
import io.snapshotagent.hypervisor.LiveSnapshotDecision;
import io.snapshotagent.image.GlanceException;
import io.snapshotagent.image.GlanceImage;
import io.snapshotagent.image.GlanceImages;
import io.snapshotagent.image.ImageNotFound;
import io.snapshotagent.qemu.DiskFormat;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Optional;

/**
 * nova's {@code LibvirtDriver.snapshot} plus the manager's {@code delete_image_on_error}: find the
 * root disk, choose the output format, try the direct RBD path, fall back to an extract and
 * upload when the direct path is impossible (and only then) — live through a libvirt block copy
 * for running file disks, cold (managed save) otherwise — and on any failure delete the Glance
 * image unless it became active. Backups are rotated afterwards as nova's {@code _rotate_backups}.
 */
@ApplicationScoped
public class LibvirtSnapshotBackend implements SnapshotBackend {

    public static final String IMAGE_NOT_FOUND = "image-not-found";
    public static final String GLANCE_ERROR = "glance-error";
    public static final String CEPH_UNAVAILABLE = "ceph-unavailable";
    public static final String CEPH_ERROR = "ceph-error";
    public static final String INTERRUPTED = "interrupted";
    private static final Logger LOG = Logger.getLogger(LibvirtSnapshotBackend.class);
    /** librados's own timeouts and a lost connection: the cluster, not the request, is the problem. */
    private static final java.util.Set<Integer> UNAVAILABLE_ERRNOS = java.util.Set.of(110, 107, 108, 111, 112, 113, 4);

    private final Guests guests;
    private final GlanceImages glance;
    private final RbdDirectPath direct;
    private final ColdExtract fallback;
    private final BackupRotation rotation;
    private final Optional<String> configuredFormat;
    private final LiveExtract live;
    private final LibvirtConnection libvirt;
    private final boolean disableLive;

    LibvirtSnapshotBackend(Guests guests, GlanceImages glance, RbdDirectPath direct, ColdExtract fallback,
            LiveExtract live, LibvirtConnection libvirt, BackupRotation rotation, AgentConfig config) {
        this.live = live;
        this.libvirt = libvirt;
        this.disableLive = config.workarounds().disableLibvirtLivesnapshot();
        this.guests = guests;
        this.glance = glance;
        this.direct = direct;
        this.fallback = fallback;
        this.rotation = rotation;
        this.configuredFormat = config.libvirt().snapshotImageFormat();
    }

    @Override
    public void snapshot(SnapshotJob job, SnapshotProgress progress) throws BackendException {
        try {
            take(job, progress);
        } catch (BackendException e) {
            if (!IMAGE_NOT_FOUND.equals(e.code())) {
                deleteImageOnError(job);
            }
            throw e;
        } catch (RuntimeException e) {
            deleteImageOnError(job);
            throw e;
        }
        if (job.backup()) {
            rotation.rotate(job);
        }
    }

    private void take(SnapshotJob job, SnapshotProgress progress) throws BackendException {
        GuestDisk disk;
        try {
            disk = guests.rootDisk(job.instanceUuid());
            glance.get(job.imageId());
        } catch (HypervisorException e) {
            throw new BackendException(e.code(), e.getMessage(), e);
        } catch (GlanceException e) {
            throw glanceFailure(e);
        }
        DiskFormat format = outputFormat(disk);
        Map<String, String> metadata = SnapshotMetadata.of(job, format.glanceName());
        // nova moves both states before any data is copied
        progress.pendingUpload();
        progress.uploading();
        Thread worker = Thread.currentThread();
        try {
            if (disk.backend() == DiskBackend.RBD) {
                try {
                    directSnapshot(job, disk, metadata, worker);
                    return;
                } catch (DirectSnapshotUnavailable e) {
                    LOG.warnf("task %s: performing standard snapshot because direct snapshot failed: %s", job.taskId(),
                            e.getMessage());
                    progress.fellBack(e.getMessage());
                }
            }
            progress.pendingUpload();
            GlanceImage image;
            if (liveFor(job, disk)) {
                image = live.snapshot(job, disk, format, metadata, progress);
            } else {
                image = fallback.snapshot(job, disk, format, metadata, progress);
            }
            LOG.infof("task %s: image %s %s, %d bytes, %s", job.taskId(), image.id(), image.status(),
                    image.size() == null ? -1 : image.size(), image.diskFormat());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(INTERRUPTED, "the snapshot was interrupted (the agent is stopping)", e);
        }
    }

    private void directSnapshot(SnapshotJob job, GuestDisk disk, Map<String, String> metadata, Thread worker)
            throws DirectSnapshotUnavailable, BackendException, InterruptedException {
        RbdDirectPath.Taken taken;
        long started = System.nanoTime();
        try {
            taken = direct.snapshot(job, disk.rbd().orElseThrow(), worker::isInterrupted);
        } catch (RbdCancelled e) {
            throw new InterruptedException("flatten cancelled");
        } catch (CephException e) {
            throw cephFailure(e);
        }
        try {
            GlanceImage image = direct.register(job.imageId(), metadata, taken.location());
            LOG.infof("task %s: direct snapshot %s in %d ms, image %s", job.taskId(), taken.location().url(),
                    (System.nanoTime() - started) / 1_000_000, image.status());
        } catch (GlanceException e) {
            // nova fails here rather than falling back (a refused location is not a Ceph Forbidden)
            discardQuietly(job, taken);
            throw glanceFailure(e);
        } catch (RuntimeException e) {
            discardQuietly(job, taken);
            throw e;
        }
    }

    private void discardQuietly(SnapshotJob job, RbdDirectPath.Taken taken) {
        // what the cluster refuses now the janitor finishes later
        direct.discard(taken.request());
    }

    /**
     * nova's live-or-cold rule (QEMU, not lvm, not disabled, running or paused); the live path is
     * built for file disks, and RBD goes cold as nova makes it for {@code qemu-img} from RBD.
     */
    private boolean liveFor(SnapshotJob job, GuestDisk disk) throws BackendException {
        if (disk.backend() != DiskBackend.QCOW2 && disk.backend() != DiskBackend.FLAT) {
            return false;
        }
        try {
            LiveSnapshotDecision d = LiveSnapshotDecision.decide(libvirt.hypervisorType(), disk.backend(),
                    disableLive, guests.powerState(job.instanceUuid()));
            LOG.infof("task %s: %s snapshot: %s", job.taskId(), d.live() ? "live" : "cold", d.reason());
            return d.live();
        } catch (HypervisorException e) {
            throw new BackendException(e.code(), e.getMessage(), e);
        }
    }

    /** nova: {@code snapshot_image_format}, else the source's; rbd and lvm give raw. */
    DiskFormat outputFormat(GuestDisk disk) {
        if (configuredFormat.isPresent()) {
            return DiskFormat.of(configuredFormat.get());
        }
        return ColdExtract.sourceFormat(disk);
    }

    /** nova's {@code delete_image_on_error}: the image goes unless it is already active. */
    private void deleteImageOnError(SnapshotJob job) {
        try {
            GlanceImage image = glance.get(job.imageId());
            if (image.isActive()) {
                LOG.infof("task %s: image %s is active, kept", job.taskId(), job.imageId());
                return;
            }
            glance.delete(job.imageId());
            LOG.infof("task %s: deleted image %s after the failure", job.taskId(), job.imageId());
        } catch (ImageNotFound e) {
            // gone already
        } catch (GlanceException | RuntimeException e) {
            LOG.warnf("task %s: could not delete image %s after the failure: %s", job.taskId(), job.imageId(),
                    e.getMessage());
        }
    }

    static BackendException glanceFailure(GlanceException e) {
        if (e instanceof ImageNotFound) {
            return new BackendException(IMAGE_NOT_FOUND, "the image was deleted during the snapshot: " + e.getMessage(), e);
        }
        return new BackendException(GLANCE_ERROR, e.getMessage(), e);
    }

    static BackendException cephFailure(CephException e) {
        String code = UNAVAILABLE_ERRNOS.contains(e.errno()) ? CEPH_UNAVAILABLE : CEPH_ERROR;
        return new BackendException(code, e.getMessage(), e);
    }
}
