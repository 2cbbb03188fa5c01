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

/**
 * The agent's one librados connection, as client {@code snapshot.rbd.user}.
 *
 * <p>librados retries forever when the cluster is gone, so every operation is bounded by
 * {@code snapshot.rbd.connect-timeout} through the client's own mon/OSD timeouts. A failed
 * connection is dropped and made again on next use, which is how the agent survives a
 * restarted monitor. All methods block: call them from worker threads only.
 */
@ApplicationScoped
public class RadosCluster {

    private static final Logger LOG = Logger.getLogger(RadosCluster.class);

    private final AgentConfig.Rbd config;
    private Rados rados;

    RadosCluster(AgentConfig config) {
        this.config = config.rbd();
    }

    /** The cluster's fsid, as it appears in {@code rbd://fsid/pool/image/snap} locations. */
    public synchronized String fsid() throws CephException {
        try {
            return connected().clusterFsid();
        } catch (RadosException e) {
            drop();
            throw new CephException("cannot read the cluster fsid", e);
        }
    }

    /**
     * Proves the monitor answers and an OSD serves {@code pool}: asks the monitor for cluster
     * statistics and lists the pool's RBD images (a read of its {@code rbd_directory} object).
     *
     * @return the number of RBD images in the pool
     */
    public synchronized int imageCount(String pool) throws CephException {
        Rados cluster = connected();
        IoCTX io = null;
        try {
            cluster.clusterStat();
            io = cluster.ioCtxCreate(pool);
            return new Rbd(io).list().length;
        } catch (RadosException | RbdException e) {
            drop();
            throw new CephException("pool '" + pool + "' is not reachable", e);
        } finally {
            if (io != null && rados != null) {
                rados.ioCtxDestroy(io);
            }
        }
    }

    private Rados connected() throws CephException {
        if (rados != null) {
            return rados;
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
        rados = cluster;
        return rados;
    }

    private void drop() {
        if (rados != null) {
            shutDown(rados);
            rados = null;
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
        drop();
    }
}
