package io.snapshotagent.hypervisor;

import io.micrometer.core.instrument.MeterRegistry;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.health.DependencyProbe;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.LinkedHashMap;
import java.util.Map;

/** Ready when libvirtd answers on the configured URI. */
@Readiness
@ApplicationScoped
public class LibvirtHealthCheck implements HealthCheck {

    private final LibvirtConnection libvirt;
    private final DependencyProbe probe;

    LibvirtHealthCheck(LibvirtConnection libvirt, AgentConfig config, MeterRegistry registry) {
        this.libvirt = libvirt;
        this.probe = new DependencyProbe("libvirt", libvirt.uri(), config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            LibvirtConnection.HostInfo info = libvirt.hostInfo();
            Map<String, String> data = new LinkedHashMap<>();
            data.put("libvirt", info.libvirtVersion());
            data.put("hypervisor", info.hypervisor());
            data.put("running domains", Integer.toString(info.runningDomains()));
            return data;
        });
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
