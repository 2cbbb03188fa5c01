package io.snapshotagent.hypervisor;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

import java.util.Optional;
import java.util.UUID;

/**
 * The instance-level libvirt operations a snapshot needs: find the root disk, read the power
 * state, and take the guest off its disk for a cold snapshot the way nova's
 * {@code _suspend_guest_for_snapshot} / {@code _resume_guest_after_snapshot} do. Blocking.
 */
@ApplicationScoped
public class Guests {

    /** libvirt's {@code VIR_DOMAIN_START_PAUSED}. */
    static final int START_PAUSED = 1;
    /** libvirt's {@code VIR_DOMAIN_XML_INACTIVE} is not used: nova reads the live definition. */
    private static final int LIVE_XML = 0;
    private static final Logger LOG = Logger.getLogger(Guests.class);

    private final LibvirtConnection libvirt;
    private final DomainXml.DiskProbe probe;

    @Inject
    public Guests(LibvirtConnection libvirt) {
        this(libvirt, DomainXml.DiskProbe.FILE_SYSTEM);
    }

    Guests(LibvirtConnection libvirt, DomainXml.DiskProbe probe) {
        this.libvirt = libvirt;
        this.probe = probe;
    }

    /**
     * The instance's root disk (nova's {@code find_disk} + {@code get_disk_type_from_path}).
     *
     * @throws HypervisorException {@code instance-not-found}, {@code unsupported-disk}, or a libvirt failure
     */
    public GuestDisk rootDisk(UUID instanceUuid) throws HypervisorException {
        String xml = repeatable(instanceUuid, "reading the domain XML", d -> d.getXMLDesc(LIVE_XML));
        try {
            return DomainXml.rootDisk(xml, probe);
        } catch (HypervisorException e) {
            throw new HypervisorException(e.code(), "instance " + instanceUuid + ": " + e.getMessage(), e);
        }
    }

    public PowerState powerState(UUID instanceUuid) throws HypervisorException {
        return repeatable(instanceUuid, "reading the power state", Guests::state);
    }

    /**
     * Takes a running or paused guest off its disk with a managed save (the memory goes to
     * libvirt's save directory), so that {@code qemu-img} may read the disk; any other state is
     * left alone. Close the returned handle, in a {@code finally}, to bring the guest back as it was.
     */
    public SuspendedGuest suspendForSnapshot(UUID instanceUuid) throws HypervisorException {
        PowerState original = powerState(instanceUuid);
        if (original != PowerState.RUNNING && original != PowerState.PAUSED) {
            return new SuspendedGuest(this, instanceUuid, original, false);
        }
        try {
            libvirt.withDomain(instanceUuid, "managed save", d -> {
                d.managedSave();
                return null;
            });
        } catch (HypervisorException e) {
            // the save may have finished although the call failed (libvirtd restarted under it):
            // never leave the guest down behind an error
            try {
                resume(instanceUuid, original);
            } catch (HypervisorException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        LOG.infof("instance %s (%s) saved for a cold snapshot", instanceUuid, original.novaName());
        return new SuspendedGuest(this, instanceUuid, original, true);
    }

    /** Starts a saved guest again in {@code original}'s state; nothing to do if it is already active. */
    void resume(UUID instanceUuid, PowerState original) throws HypervisorException {
        // checked first, so a repeat (or a retry after a broken connection) does no harm
        boolean started = repeatable(instanceUuid, "restoring from managed save", d -> {
            if (d.isActive() == 1) {
                return false;
            }
            if (d.hasManagedSaveImage() == 0) {
                // someone discarded the memory image; nova's launch() would boot it afresh too
                LOG.warnf("instance %s has no managed-save image any more: it boots afresh", instanceUuid);
            }
            d.create(original == PowerState.PAUSED ? START_PAUSED : 0);
            return true;
        });
        if (started) {
            LOG.infof("instance %s restored (%s)", instanceUuid, original.novaName());
        }
    }

    /** Whether libvirt holds a managed-save image of the instance (it is then shut off). */
    public boolean hasManagedSaveImage(UUID instanceUuid) throws HypervisorException {
        return repeatable(instanceUuid, "checking for a managed-save image", d -> d.hasManagedSaveImage() == 1);
    }

    /**
     * For recovery after a crash between save and restore: starts the guest from its managed-save
     * image, which brings it back running or paused as it was saved. Only call this for an instance
     * the agent itself saved: nova's {@code suspend} leaves the same kind of image on purpose.
     *
     * @return the state after the restore, or empty if there was nothing to restore
     */
    public Optional<PowerState> restoreManagedSave(UUID instanceUuid) throws HypervisorException {
        Optional<PowerState> restored = repeatable(instanceUuid, "restoring from managed save", d -> {
            if (d.isActive() == 1 || d.hasManagedSaveImage() == 0) {
                return Optional.empty();
            }
            d.create(0);
            return Optional.of(state(d));
        });
        restored.ifPresent(s -> LOG.infof("instance %s restored from a leftover managed save (%s)", instanceUuid, s.novaName()));
        return restored;
    }

    /**
     * For calls that are safe to repeat: a libvirtd restart breaks the open connection, and the
     * first call after it fails; this one tries once more on a new connection.
     */
    private <T> T repeatable(UUID instanceUuid, String what, LibvirtConnection.DomainCall<T> call) throws HypervisorException {
        try {
            return libvirt.withDomain(instanceUuid, what, call);
        } catch (HypervisorException e) {
            if (!HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code())) {
                throw e;
            }
            LOG.debugf("%s of instance %s: %s; once more on a new connection", what, instanceUuid, e.getMessage());
            return libvirt.withDomain(instanceUuid, what, call);
        }
    }

    private static PowerState state(Domain d) throws LibvirtException {
        try {
            return PowerState.fromLibvirt(d.getInfo().state.ordinal());
        } catch (ArrayIndexOutOfBoundsException e) {
            // libvirt-java 0.5.2's DomainState stops at CRASHED (6): it cannot represent the one
            // state libvirt has after that, VIR_DOMAIN_PMSUSPENDED (7)
            return PowerState.SUSPENDED;
        }
    }
}
