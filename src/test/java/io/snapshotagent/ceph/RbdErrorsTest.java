package io.snapshotagent.ceph;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RbdErrorsTest {

    @Test
    void eachErrnoCallersActOnHasItsOwnType() {
        assertInstanceOf(RbdForbidden.class, RbdErrors.failure("x", -1, null));
        assertInstanceOf(RbdForbidden.class, RbdErrors.failure("x", -13, null));
        assertInstanceOf(RbdNotFound.class, RbdErrors.failure("x", -2, null));
        assertInstanceOf(RbdExists.class, RbdErrors.failure("x", -17, null));
        assertInstanceOf(RbdBusy.class, RbdErrors.failure("x", -16, null));
        assertInstanceOf(RbdBusy.class, RbdErrors.failure("x", -39, null));
        assertSame(CephException.class, RbdErrors.failure("x", -110, null).getClass());
    }

    @Test
    void theMessageNamesTheOperationAndTheErrno() {
        CephException e = RbdErrors.failure("cannot remove vms/x_disk", -16, null);
        assertEquals("cannot remove vms/x_disk: EBUSY, in use (errno 16)", e.getMessage());
        assertEquals(16, e.errno());
        assertEquals("cannot do it: error (errno 75)", RbdErrors.describe("cannot do it", -75));
    }

    @Test
    void timeoutsAndBlocklistingMeanTheConnectionIsSuspect() {
        assertTrue(RbdErrors.connectionFailure(-110));
        assertTrue(RbdErrors.connectionFailure(-108));
        assertFalse(RbdErrors.connectionFailure(-2));
        assertFalse(RbdErrors.connectionFailure(-1));
    }
}
