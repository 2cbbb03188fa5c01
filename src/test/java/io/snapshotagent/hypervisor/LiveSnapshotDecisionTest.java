package io.snapshotagent.hypervisor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LiveSnapshotDecisionTest {

    @ParameterizedTest
    @EnumSource(value = DiskBackend.class, names = {"QCOW2", "FLAT", "RBD", "PLOOP"})
    void aRunningOrPausedQemuGuestOnAnythingButLvmIsLive(DiskBackend backend) {
        assertTrue(LiveSnapshotDecision.decide("QEMU", backend, false, PowerState.RUNNING).live());
        assertTrue(LiveSnapshotDecision.decide("QEMU", backend, false, PowerState.PAUSED).live());
    }

    @Test
    void lvmIsCold() {
        LiveSnapshotDecision d = LiveSnapshotDecision.decide("QEMU", DiskBackend.LVM, false, PowerState.RUNNING);
        assertFalse(d.live());
        assertEquals("the root disk is on LVM", d.reason());
    }

    @Test
    void theWorkaroundForcesCold() {
        LiveSnapshotDecision d = LiveSnapshotDecision.decide("QEMU", DiskBackend.QCOW2, true, PowerState.RUNNING);
        assertFalse(d.live());
        assertTrue(d.reason().contains("disable_libvirt_livesnapshot"), d.reason());
    }

    @Test
    void onlyTheQemuDriverSnapshotsLive() {
        assertFalse(LiveSnapshotDecision.decide("LXC", DiskBackend.QCOW2, false, PowerState.RUNNING).live());
        assertFalse(LiveSnapshotDecision.decide("parallels", DiskBackend.QCOW2, false, PowerState.RUNNING).live());
        assertFalse(LiveSnapshotDecision.decide(null, DiskBackend.QCOW2, false, PowerState.RUNNING).live());
        assertTrue(LiveSnapshotDecision.decide("qemu", DiskBackend.QCOW2, false, PowerState.RUNNING).live(),
                "virConnectGetType's case is not a reason to go cold");
    }

    @ParameterizedTest
    @EnumSource(value = PowerState.class, names = {"SHUTDOWN", "CRASHED", "SUSPENDED", "NOSTATE"})
    void aGuestWithoutARunningQemuIsCold(PowerState state) {
        LiveSnapshotDecision d = LiveSnapshotDecision.decide("QEMU", DiskBackend.QCOW2, false, state);
        assertFalse(d.live());
        assertEquals("the instance is " + state.novaName(), d.reason());
    }
}
