package io.snapshotagent.hypervisor;

import io.snapshotagent.it.support.LocalStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests of the local stack's real libvirtd (QEMU/TCG), in nova's three disk layouts. */
class GuestsIT {

    private static final List<StackGuest> created = new ArrayList<>();
    private static StackGuest rbd;
    private static StackGuest qcow2;
    private static StackGuest raw;
    private static LibvirtConnection libvirt;
    private static Guests guests;

    @BeforeAll
    static void guests() {
        Map<String, String> stack = LocalStack.upAndProperties();
        libvirt = new LibvirtConnection(stack.get("snapshot.libvirt.uri"));
        guests = new Guests(libvirt);
        rbd = keep(StackGuest.create("hostit", "rbd", 16));
        qcow2 = keep(StackGuest.create("hostit", "qcow2", 16));
        raw = keep(StackGuest.create("hostit", "raw", 16));
    }

    private static StackGuest keep(StackGuest guest) {
        created.add(guest);
        return guest;
    }

    @AfterAll
    static void destroy() {
        created.forEach(StackGuest::close);
        if (libvirt != null) {
            libvirt.close();
        }
    }

    private static void onDomain(UUID uuid, String what, LibvirtConnection.DomainCall<?> call) throws HypervisorException {
        libvirt.withDomain(uuid, what, call);
    }

    @Test
    void rootDiskOfAnRbdGuest() throws HypervisorException {
        GuestDisk disk = guests.rootDisk(rbd.uuid());
        assertEquals(DiskBackend.RBD, disk.backend());
        assertEquals("rbd:vms/" + rbd.uuid() + "_disk", disk.path());
        assertEquals("raw", disk.format());
        assertEquals("vda", disk.targetDev());
        assertEquals(new GuestDisk.RbdImageName("vms", rbd.uuid() + "_disk", Optional.of("nova")), disk.rbd().orElseThrow());
    }

    @Test
    void rootDiskOfAQcow2Guest() throws HypervisorException {
        GuestDisk disk = guests.rootDisk(qcow2.uuid());
        assertEquals(DiskBackend.QCOW2, disk.backend());
        assertEquals("qcow2", disk.format());
        assertTrue(disk.path().endsWith("/instances/" + qcow2.uuid() + "/disk"), disk.path());
        assertTrue(Files.isRegularFile(Path.of(disk.path())));
    }

    @Test
    void rootDiskOfARawGuestIsFlat() throws HypervisorException {
        GuestDisk disk = guests.rootDisk(raw.uuid());
        assertEquals(DiskBackend.FLAT, disk.backend());
        assertEquals("raw", disk.format());
        assertTrue(disk.path().endsWith("/instances/" + raw.uuid() + "/disk"), disk.path());
    }

    @Test
    void anUnknownUuidIsInstanceNotFound() {
        UUID unknown = UUID.randomUUID();
        for (HypervisorException e : List.of(
                assertThrows(HypervisorException.class, () -> guests.rootDisk(unknown)),
                assertThrows(HypervisorException.class, () -> guests.powerState(unknown)),
                assertThrows(HypervisorException.class, () -> guests.suspendForSnapshot(unknown)),
                assertThrows(HypervisorException.class, () -> guests.restoreManagedSave(unknown)))) {
            assertEquals(HypervisorException.INSTANCE_NOT_FOUND, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
        }
    }

    @Test
    void aRunningGuestIsSavedAndComesBackRunning() throws HypervisorException {
        assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
        SuspendedGuest suspended;
        long started = System.nanoTime();
        try (SuspendedGuest s = guests.suspendForSnapshot(raw.uuid())) {
            suspended = s;
            System.out.printf("managed save of a 32 MiB guest: %d ms%n", (System.nanoTime() - started) / 1_000_000);
            assertTrue(s.saved());
            assertEquals(PowerState.RUNNING, s.originalState());
            assertEquals(PowerState.SHUTDOWN, guests.powerState(raw.uuid()));
            assertTrue(guests.hasManagedSaveImage(raw.uuid()));
            started = System.nanoTime();
        }
        System.out.printf("restore: %d ms%n", (System.nanoTime() - started) / 1_000_000);
        assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
        assertFalse(guests.hasManagedSaveImage(raw.uuid()));
        suspended.resume(); // again, as a finally block might: nothing happens
        suspended.close();
        assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
    }

    @Test
    void aPausedGuestIsSavedAndComesBackPaused() throws HypervisorException {
        TestLibvirt.pause(libvirt, raw.uuid());
        try {
            assertEquals(PowerState.PAUSED, guests.powerState(raw.uuid()));
            try (SuspendedGuest s = guests.suspendForSnapshot(raw.uuid())) {
                assertTrue(s.saved(), "a paused guest holds its disk's lock: it must be saved too");
                assertEquals(PowerState.PAUSED, s.originalState());
                assertEquals(PowerState.SHUTDOWN, guests.powerState(raw.uuid()));
                assertTrue(guests.hasManagedSaveImage(raw.uuid()));
            }
            assertEquals(PowerState.PAUSED, guests.powerState(raw.uuid()));
        } finally {
            TestLibvirt.unpause(libvirt, raw.uuid());
        }
        assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
    }

    @Test
    void aShutOffGuestIsLeftAlone() throws HypervisorException {
        onDomain(qcow2.uuid(), "power off", d -> {
            d.destroy();
            return null;
        });
        try {
            assertEquals(PowerState.SHUTDOWN, guests.powerState(qcow2.uuid()));
            try (SuspendedGuest s = guests.suspendForSnapshot(qcow2.uuid())) {
                assertFalse(s.saved());
                assertEquals(PowerState.SHUTDOWN, s.originalState());
                assertFalse(guests.hasManagedSaveImage(qcow2.uuid()));
            }
            assertEquals(PowerState.SHUTDOWN, guests.powerState(qcow2.uuid()), "closing must not start it");
            assertEquals(Optional.empty(), guests.restoreManagedSave(qcow2.uuid()));
        } finally {
            onDomain(qcow2.uuid(), "start", d -> d.create());
        }
        assertEquals(PowerState.RUNNING, guests.powerState(qcow2.uuid()));
    }

    @Test
    void aGuestLeftSavedByACrashIsFoundAndRestored() throws HypervisorException {
        guests.suspendForSnapshot(rbd.uuid()); // and the agent dies before it resumes the guest
        LibvirtConnection restarted = new LibvirtConnection(libvirt.uri());
        try {
            Guests recovery = new Guests(restarted);
            assertTrue(recovery.hasManagedSaveImage(rbd.uuid()));
            assertEquals(Optional.of(PowerState.RUNNING), recovery.restoreManagedSave(rbd.uuid()));
            assertEquals(PowerState.RUNNING, recovery.powerState(rbd.uuid()));
            assertFalse(recovery.hasManagedSaveImage(rbd.uuid()));
            assertEquals(Optional.empty(), recovery.restoreManagedSave(rbd.uuid()), "nothing left to restore");
        } finally {
            restarted.close();
        }
    }

    @Test
    void aPausedGuestLeftSavedByACrashComesBackPaused() throws HypervisorException {
        TestLibvirt.pause(libvirt, rbd.uuid());
        try {
            guests.suspendForSnapshot(rbd.uuid());
            assertEquals(Optional.of(PowerState.PAUSED), guests.restoreManagedSave(rbd.uuid()));
        } finally {
            TestLibvirt.unpause(libvirt, rbd.uuid());
        }
        assertEquals(PowerState.RUNNING, guests.powerState(rbd.uuid()));
    }

    @Test
    void aClosedConnectionIsReopenedOnNextUse() throws HypervisorException {
        LibvirtConnection connection = new LibvirtConnection(libvirt.uri());
        Guests other = new Guests(connection);
        assertEquals(PowerState.RUNNING, other.powerState(raw.uuid()));
        connection.close();
        assertEquals(PowerState.RUNNING, other.powerState(raw.uuid()));
        assertTrue(connection.hostInfo().runningDomains() >= 3);
        connection.close();
    }

    @Test
    void aFailedOperationIsALibvirtErrorThatNamesIt() throws HypervisorException {
        // resuming a running domain: libvirtd answers, and refuses
        HypervisorException e = assertThrows(HypervisorException.class, () -> onDomain(raw.uuid(), "unpause", d -> {
            d.resume();
            return null;
        }));
        assertEquals(HypervisorException.LIBVIRT_ERROR, e.code());
        assertTrue(e.getMessage().startsWith("unpause of instance " + raw.uuid() + " failed on libvirtd at qemu:///system"),
                e.getMessage());
        assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()), "the connection still works");
    }

    @Test
    void aLibvirtdRestartIsSurvivedByTheSameConnection() throws HypervisorException {
        LibvirtConnection connection = new LibvirtConnection(libvirt.uri());
        Guests survivor = new Guests(connection);
        try {
            assertEquals(PowerState.RUNNING, survivor.powerState(raw.uuid()), "the connection is open before the restart");
            assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
            LocalStack.run("stop", "libvirtd");
            try {
                HypervisorException down = assertThrows(HypervisorException.class, () -> survivor.powerState(raw.uuid()));
                assertEquals(HypervisorException.LIBVIRT_UNAVAILABLE, down.code(), down.getMessage());
                assertTrue(down.getMessage().contains("libvirtd at qemu:///system"), down.getMessage());
                HypervisorException save = assertThrows(HypervisorException.class, () -> survivor.suspendForSnapshot(raw.uuid()));
                assertEquals(HypervisorException.LIBVIRT_UNAVAILABLE, save.code(), save.getMessage());
            } finally {
                LocalStack.run("up");
            }
            // the guests outlive libvirtd; both connections find them again, the one left
            // broken since the restart included: a repeatable call tries once more on a new one
            assertEquals(PowerState.RUNNING, guests.powerState(raw.uuid()));
            assertEquals(PowerState.RUNNING, survivor.powerState(raw.uuid()));
            assertEquals(DiskBackend.FLAT, survivor.rootDisk(raw.uuid()).backend());
        } finally {
            connection.close();
        }
    }
}
