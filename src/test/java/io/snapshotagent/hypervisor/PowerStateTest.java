package io.snapshotagent.hypervisor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PowerStateTest {

    @Test
    void libvirtStatesMapAsNovasLibvirtPowerState() {
        assertEquals(PowerState.NOSTATE, PowerState.fromLibvirt(0));
        assertEquals(PowerState.RUNNING, PowerState.fromLibvirt(1));
        assertEquals(PowerState.RUNNING, PowerState.fromLibvirt(2));   // blocked: running, idle vCPU
        assertEquals(PowerState.PAUSED, PowerState.fromLibvirt(3));
        assertEquals(PowerState.SHUTDOWN, PowerState.fromLibvirt(4));  // shutting down
        assertEquals(PowerState.SHUTDOWN, PowerState.fromLibvirt(5));  // shut off
        assertEquals(PowerState.CRASHED, PowerState.fromLibvirt(6));
        assertEquals(PowerState.SUSPENDED, PowerState.fromLibvirt(7)); // pmsuspended
        assertEquals(PowerState.NOSTATE, PowerState.fromLibvirt(8));
    }

    @Test
    void novaNamesAndCodes() {
        assertEquals("pending", PowerState.NOSTATE.novaName());
        assertEquals("running", PowerState.RUNNING.novaName());
        assertEquals("paused", PowerState.PAUSED.novaName());
        assertEquals("shutdown", PowerState.SHUTDOWN.novaName());
        assertEquals("crashed", PowerState.CRASHED.novaName());
        assertEquals("suspended", PowerState.SUSPENDED.novaName());
        assertEquals(1, PowerState.RUNNING.code());
        assertEquals(3, PowerState.PAUSED.code());
        assertEquals(4, PowerState.SHUTDOWN.code());
        assertEquals(7, PowerState.SUSPENDED.code());
    }
}
