package io.snapshotagent.ceph;

import com.ceph.rados.IoCTX;
import com.ceph.rados.Rados;
import com.ceph.rados.exceptions.RadosException;
import com.ceph.rbd.Rbd;
import com.ceph.rbd.RbdException;
import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's one librados connection, as client {@code snapshot.rbd.user}.
 *
 * <p>librados retries forever when the cluster is gone, so every operation is bounded by
 * {@code snapshot.rbd.connect-timeout} through the client's own mon/OSD timeouts. A failed
 * connection is dropped and made again on next use, which is how the agent survives a
 * restarted monitor. All methods block: call them from worker threads only.
 *
 * <p>Work on the cluster goes through a {@link Lease}. librados is thread-safe, so leases run
 * in parallel (a flatten of minutes must not hold up the readiness probe or other snapshots).
 * A connection found broken is retired: new leases get a fresh one, and the old one is shut
 * down only when its last lease is closed, because shutting it down under a running librbd
 * call would free memory that call still uses.
 */
@ApplicationScoped
public class RadosCluster {

    private static final Logger LOG = Logger.getLogger(RadosCluster.class);

    private final AgentConfig.Rbd config;
    private Connection current;

    RadosCluster(AgentConfig config) {
        this.config = config.rbd();
    }

    /**
     * A lease on the current connection, connecting first if there is none. Close it (it is
     * meant for try-with-resources); one lease belongs to one thread.
     */
    public synchronized Lease lease() throws CephException {
        Connection connection = connected();
        connection.leases++;
        return new Lease(connection);
    }

    /** The cluster's fsid, as it appears in {@code rbd://fsid/pool/image/snap} locations. */
    public String fsid() throws CephException {
        try (Lease lease = lease()) {
            return lease.fsid();
        }
    }

    /**
     * Proves the monitor answers and an OSD serves {@code pool}: asks the monitor for cluster
     * statistics and lists the pool's RBD images (a read of its {@code rbd_directory} object).
     *
     * @return the number of RBD images in the pool
     */
    public int imageCount(String pool) throws CephException {
        try (Lease lease = lease()) {
            try {
                lease.connection.rados.clusterStat();
                // rados-java splits an empty listing into one empty name
                return (int) Arrays.stream(new Rbd(lease.ioCtx(pool)).list()).filter(n -> !n.isEmpty()).count();
            } catch (RadosException | RbdException | CephException e) {
                lease.retire();
                throw new CephException("pool '" + pool + "' is not reachable", e);
            }
        }
    }

    private Connection connected() throws CephException {
        if (current != null) {
            return current;
        }
        String timeout = Integer.toString(config.connectTimeout());
        Rados cluster = new Rados(config.user());
        try {
            cluster.confReadFile(config.cephConf().toFile());
            cluster.confSet("client_mount_timeout", timeout);
            cluster.confSet("rados_mon_op_timeout", timeout);
            cluster.confSet("rados_osd_op_timeout", timeout);
            cluster.connect();
        } catch (RadosException e) {
            shutDown(cluster);
            throw new CephException("cannot connect to the cluster of " + config.cephConf() + " as client." + config.user(), e);
        }
        LOG.debugf("connected to Ceph as client.%s", config.user());
        current = new Connection(cluster);
        return current;
    }

    private synchronized void retire(Connection connection) {
        if (current == connection) {
            current = null;
        }
        connection.retired = true;
        if (connection.leases == 0) {
            shutDown(connection.rados);
        }
    }

    private synchronized void release(Connection connection) {
        connection.leases--;
        if (connection.retired && connection.leases == 0) {
            shutDown(connection.rados);
        }
    }

    private static void shutDown(Rados cluster) {
        try {
            cluster.shutDown();
        } catch (RuntimeException e) {
            LOG.debug("librados shutdown failed", e);
        }
    }

    @PreDestroy
    synchronized void close() {
        if (current != null) {
            retire(current);
        }
    }

    private static final class Connection {
        final Rados rados;
        int leases;
        boolean retired;

        Connection(Rados rados) {
            this.rados = rados;
        }
    }

    /**
     * One user's hold on the connection: I/O contexts made through it live until it is closed,
     * and the connection is not shut down before that. Not thread-safe.
     */
    public final class Lease implements AutoCloseable {

        private final Connection connection;
        private final Map<String, IoCTX> ioCtxs = new LinkedHashMap<>();
        private boolean closed;

        private Lease(Connection connection) {
            this.connection = connection;
        }

        /** The I/O context of {@code pool}, made on first use; errno ENOENT when the pool does not exist. */
        public IoCTX ioCtx(String pool) throws CephException {
            IoCTX io = ioCtxs.get(pool);
            if (io == null) {
                try {
                    io = connection.rados.ioCtxCreate(pool);
                } catch (RadosException e) {
                    // not RbdNotFound: a missing pool is a configuration error, never "already gone"
                    throw new CephException(RbdErrors.describe("cannot open pool '" + pool + "'", e.getReturnValue()),
                            e.getReturnValue(), e);
                }
                ioCtxs.put(pool, io);
            }
            return io;
        }

        public String fsid() throws CephException {
            try {
                return connection.rados.clusterFsid();
            } catch (RadosException e) {
                retire();
                throw new CephException("cannot read the cluster fsid", e);
            }
        }

        /** Reports the connection broken (a timeout, a blocklisting): nobody gets it again. */
        public void retire() {
            RadosCluster.this.retire(connection);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (IoCTX io : ioCtxs.values()) {
                connection.rados.ioCtxDestroy(io);
            }
            ioCtxs.clear();
            release(connection);
        }
    }
}
