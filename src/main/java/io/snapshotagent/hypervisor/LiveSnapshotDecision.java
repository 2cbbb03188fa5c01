package io.snapshotagent.hypervisor;

import java.util.Locale;
import java.util.Objects;

/**
 * nova's choice between a live and a cold snapshot ({@code LibvirtDriver.snapshot}): live only
 * on a QEMU/KVM connection, for a disk that is not LVM, unless {@code [workarounds]
 * disable_libvirt_livesnapshot} is set, and for a guest that is not shut down.
 *
 * <p>nova's last test is {@code power_state != SHUTDOWN}; here live also needs the guest running
 * or paused, because a block job needs a QEMU process (nova would fail on a crashed or
 * suspended guest instead). As in nova, an RBD disk decides "live" here; nova's fallback path
 * then turns that into a cold snapshot, because {@code qemu-img} cannot safely read an RBD disk a
 * guest is writing; {@link LiveSnapshot} itself takes file disks only. Ephemeral storage
 * encryption, which also forces cold in nova, is not supported by the agent at all.
 *
 * @param live   true for a live snapshot
 * @param reason why, for the log
 */
public record LiveSnapshotDecision(boolean live, String reason) {

    /** What libvirt's {@code virConnectGetType} says for the qemu driver (kvm and qemu virt types). */
    static final String QEMU = "QEMU";

    public LiveSnapshotDecision {
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param hypervisorType             {@link LibvirtConnection#hypervisorType()}
     * @param backend                    the root disk's backend
     * @param disableLibvirtLivesnapshot nova's {@code [workarounds] disable_libvirt_livesnapshot}
     * @param powerState                 the instance's power state before the snapshot
     */
    public static LiveSnapshotDecision decide(String hypervisorType, DiskBackend backend,
                                              boolean disableLibvirtLivesnapshot, PowerState powerState) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(powerState, "powerState");
        if (hypervisorType == null || !QEMU.equals(hypervisorType.strip().toUpperCase(Locale.ROOT))) {
            return cold("the libvirt driver is " + hypervisorType + ", not QEMU");
        }
        if (backend == DiskBackend.LVM) {
            return cold("the root disk is on LVM");
        }
        if (disableLibvirtLivesnapshot) {
            return cold("disable_libvirt_livesnapshot is set");
        }
        if (powerState != PowerState.RUNNING && powerState != PowerState.PAUSED) {
            return cold("the instance is " + powerState.novaName());
        }
        return new LiveSnapshotDecision(true, "a " + powerState.novaName() + " QEMU guest on " + backend.imagesType());
    }

    private static LiveSnapshotDecision cold(String reason) {
        return new LiveSnapshotDecision(false, reason);
    }
}
