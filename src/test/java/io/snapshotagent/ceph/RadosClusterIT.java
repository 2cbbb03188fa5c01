package io.snapshotagent.ceph;

import com.ceph.rbd.Rbd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The connection's leases on the local stack's Ceph, as client nova. */
@Timeout(120)
class RadosClusterIT {

    private final CephStack stack = CephStack.up();

    @Test
    void aRetiredConnectionStaysUsableUntilItsLastLeaseIsClosed() throws Exception {
        RadosCluster cluster = stack.cluster("nova");
        try {
            assertEquals(stack.confFsid(), cluster.fsid());
            try (RadosCluster.Lease running = cluster.lease()) {
                var io = running.ioCtx("vms");
                int before = new Rbd(io).list().length;

                running.retire(); // as after a timeout: the next caller gets a new connection
                assertEquals(stack.confFsid(), cluster.fsid());
                cluster.imageCount("images");

                // not shut down under the lease that still uses it
                assertEquals(before, new Rbd(io).list().length);
                assertNotNull(running.fsid());
            }
            assertEquals(stack.confFsid(), cluster.fsid());
        } finally {
            cluster.close();
        }
    }

    @Test
    void aMissingPoolIsAnErrorWithItsName() throws Exception {
        RadosCluster cluster = stack.cluster("nova");
        try (RadosCluster.Lease lease = cluster.lease()) {
            CephException e = assertThrows(CephException.class, () -> lease.ioCtx("sa-ceph-it-no-pool"));
            assertEquals(RbdErrors.ENOENT, e.errno());
            assertEquals("cannot open pool 'sa-ceph-it-no-pool': ENOENT, no such image, snapshot or pool (errno 2)",
                    e.getMessage());
        } finally {
            cluster.close();
        }
    }
}
