package io.snapshotagent.hypervisor;

import org.libvirt.DomainInfo;

import java.util.UUID;

/** Test-side access to a {@link LibvirtConnection} from other packages, and guest moves the agent never makes. */
public final class TestLibvirt {

    private TestLibvirt() {
    }

    public static LibvirtConnection connect(String uri) {
        return new LibvirtConnection(uri);
    }

    public static void close(LibvirtConnection connection) {
        connection.close();
    }

    public static void pause(LibvirtConnection connection, UUID uuid) throws HypervisorException {
        connection.withDomain(uuid, "pause", d -> {
            d.suspend();
            return null;
        });
    }

    public static void unpause(LibvirtConnection connection, UUID uuid) throws HypervisorException {
        connection.withDomain(uuid, "unpause", d -> {
            if (d.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED) {
                d.resume();
            }
            return null;
        });
    }
}
