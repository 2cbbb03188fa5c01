package io.snapshotagent.hypervisor;

import com.sun.jna.Pointer;
import io.snapshotagent.config.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.libvirt.jna.virError;

import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The agent's connection to libvirtd at {@code snapshot.libvirt.uri}. libvirtd may restart
 * under the agent (package upgrades do that); a call that finds the connection broken drops it
 * and the next use opens a new one. All methods block: call them from worker threads only.
 *
 * <p>libvirt connections are thread-safe, and a managed save can take many seconds, so calls
 * share the connection under a read lock; only opening and dropping it take the write lock. That
 * way a snapshot in progress never holds up the readiness probe, and nobody closes the connection
 * under a call that is still using it.
 */
@ApplicationScoped
public class LibvirtConnection {

    private static final Logger LOG = Logger.getLogger(LibvirtConnection.class);
    /**
     * libvirt prints every error to stderr ("libvirt: QEMU Driver error : ...") unless a handler
     * is set; the errors reach the agent as exceptions anyway. A constant, because libvirt keeps
     * calling it for the life of the process: a collected JNA callback would crash the JVM.
     */
    private static final Libvirt.VirErrorCallback QUIET = new Quiet();

    private final String uri;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private Connect connect;

    @Inject
    LibvirtConnection(AgentConfig config) {
        this(config.libvirt().uri());
    }

    LibvirtConnection(String uri) {
        this.uri = uri;
    }

    public String uri() {
        return uri;
    }

    /** Versions of libvirt and the hypervisor, and the number of running domains: a real round trip. */
    public HostInfo hostInfo() throws HypervisorException {
        return call("host info", c -> new HostInfo(version(c.getLibVersion()), c.getType() + " " + version(c.getVersion()),
                c.numOfDomains()));
    }

    public record HostInfo(String libvirtVersion, String hypervisor, int runningDomains) {
    }

    /**
     * The driver's hypervisor type, {@code QEMU} for nova's kvm and qemu virt types (what nova's
     * {@code has_min_version(hv_type=HV_DRIVER_QEMU)} compares).
     */
    public String hypervisorType() throws HypervisorException {
        return call("reading the hypervisor type", Connect::getType);
    }

    /** libvirt's version as libvirt encodes it: major * 1,000,000 + minor * 1,000 + release. */
    long libvirtVersion() throws HypervisorException {
        return call("reading the libvirt version", Connect::getLibVersion);
    }

    /** Defines (or redefines) a persistent domain from its XML. */
    void define(String what, String xml) throws HypervisorException {
        call(what, c -> {
            c.domainDefineXML(xml).free();
            return null;
        });
    }

    /** Work on one domain; the {@link Domain} handle is only valid inside the call. */
    @FunctionalInterface
    public interface DomainCall<T> {
        T call(Domain domain) throws LibvirtException, HypervisorException;
    }

    /**
     * Looks the instance's domain up by UUID (nova names domains {@code instance-xxxxxxxx}; the UUID
     * is the stable key) and runs {@code call} on it. {@code what} names the operation in errors.
     * The call must not use this connection again itself.
     *
     * @throws HypervisorException {@link HypervisorException#INSTANCE_NOT_FOUND} when there is no
     *         such domain, or it vanishes during the call; {@link HypervisorException#LIBVIRT_UNAVAILABLE}
     *         when libvirtd cannot be reached; {@link HypervisorException#LIBVIRT_ERROR} otherwise
     */
    public <T> T withDomain(UUID instanceUuid, String what, DomainCall<T> call) throws HypervisorException {
        return call(what + " of instance " + instanceUuid, c -> {
            Domain domain = c.domainLookupByUUIDString(instanceUuid.toString());
            try {
                return call.call(domain);
            } finally {
                try {
                    domain.free();
                } catch (LibvirtException e) {
                    LOG.debugf("freeing the domain handle of %s failed: %s", instanceUuid, e.getMessage());
                }
            }
        });
    }

    @FunctionalInterface
    private interface ConnectCall<T> {
        T call(Connect connect) throws LibvirtException, HypervisorException;
    }

    private <T> T call(String what, ConnectCall<T> call) throws HypervisorException {
        Connect c = acquire();
        boolean broken = false;
        try {
            return call.call(c);
        } catch (LibvirtException e) {
            broken = !alive(c);
            throw translate(what, e, broken);
        } catch (HypervisorException e) {
            // calls made through JNA report their own errors; a dead connection still has to go
            broken = !alive(c);
            if (broken && !HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code())) {
                throw new HypervisorException(HypervisorException.LIBVIRT_UNAVAILABLE,
                        "libvirtd at " + uri + " does not answer (" + what + "): " + e.getMessage(), e);
            }
            throw e;
        } finally {
            lock.readLock().unlock();
            if (broken) {
                dropIfCurrent(c);
            }
        }
    }

    private HypervisorException translate(String what, LibvirtException e, boolean broken) {
        String detail = e.getError() == null ? String.valueOf(e.getMessage()) : e.getError().getMessage();
        if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
            return new HypervisorException(HypervisorException.INSTANCE_NOT_FOUND,
                    what + ": no such domain on libvirt at " + uri + " (" + detail + ")", e);
        }
        if (broken) {
            return new HypervisorException(HypervisorException.LIBVIRT_UNAVAILABLE,
                    "libvirtd at " + uri + " does not answer (" + what + "): " + detail, e);
        }
        return new HypervisorException(HypervisorException.LIBVIRT_ERROR,
                what + " failed on libvirtd at " + uri + ": " + detail, e);
    }

    /** Returns the open connection with the read lock held; opens it first if needed. */
    private Connect acquire() throws HypervisorException {
        lock.readLock().lock();
        if (connect != null) {
            return connect;
        }
        lock.readLock().unlock();
        lock.writeLock().lock();
        try {
            if (connect == null) {
                try {
                    Connect.setErrorCallback(QUIET);
                    connect = new Connect(uri);
                } catch (LibvirtException e) {
                    throw new HypervisorException(HypervisorException.LIBVIRT_UNAVAILABLE,
                            "cannot connect to libvirtd at " + uri + ": " + e.getMessage(), e);
                }
                LOG.debugf("connected to libvirt at %s", uri);
            }
            lock.readLock().lock();
            return connect;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static boolean alive(Connect c) {
        try {
            return c.isAlive();
        } catch (LibvirtException e) {
            return false;
        }
    }

    /** Drops {@code broken} unless another thread already replaced it. */
    private void dropIfCurrent(Connect broken) {
        if (lock.getReadHoldCount() > 0) {
            // a nested call on this thread: taking the write lock would deadlock; the outer call drops it
            return;
        }
        lock.writeLock().lock();
        try {
            if (connect == broken) {
                drop();
                LOG.infof("the connection to libvirt at %s broke; the next call reconnects", uri);
            }
        } finally {
            lock.writeLock().unlock();
        }
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

    private static final class Quiet implements Libvirt.VirErrorCallback {
        @Override
        public void errorCallback(Pointer userData, virError error) {
        }
    }

    @PreDestroy
    void close() {
        lock.writeLock().lock();
        try {
            drop();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
