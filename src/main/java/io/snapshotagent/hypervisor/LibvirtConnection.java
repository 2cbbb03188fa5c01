package io.snapshotagent.hypervisor;

import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.jboss.logging.Logger;

/**
 * The agent's connection to libvirtd at {@code snapshot.libvirt.uri}. libvirtd may restart
 * under the agent (package upgrades do that); a call that fails drops the connection and the
 * next use opens a new one. All methods block: call them from worker threads only.
 */
@ApplicationScoped
public class LibvirtConnection {

    private static final Logger LOG = Logger.getLogger(LibvirtConnection.class);

    private final String uri;
    private Connect connect;

    LibvirtConnection(AgentConfig config) {
        this.uri = config.libvirt().uri();
    }

    public String uri() {
        return uri;
    }

    /** Versions of libvirt and the hypervisor, and the number of running domains: a real round trip. */
    public synchronized HostInfo hostInfo() throws HypervisorException {
        Connect c = connected();
        try {
            return new HostInfo(version(c.getLibVersion()), c.getType() + " " + version(c.getVersion()), c.numOfDomains());
        } catch (LibvirtException e) {
            drop();
            throw new HypervisorException("libvirtd at " + uri + " does not answer", e);
        }
    }

    public record HostInfo(String libvirtVersion, String hypervisor, int runningDomains) {
    }

    private Connect connected() throws HypervisorException {
        if (connect == null) {
            try {
                connect = new Connect(uri);
            } catch (LibvirtException e) {
                throw new HypervisorException("cannot connect to libvirtd at " + uri, e);
            }
            LOG.debugf("connected to libvirt at %s", uri);
        }
        return connect;
    }

    private void drop() {
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException e) {
                LOG.debug("closing a broken libvirt connection failed", e);
            }
            connect = null;
        }
    }

    private static String version(long v) {
        return (v / 1_000_000) + "." + (v / 1_000 % 1_000) + "." + (v % 1_000);
    }

    @PreDestroy
    synchronized void close() {
        drop();
    }
}
