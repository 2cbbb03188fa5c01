package io.snapshotagent.ceph;

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

/** Ready when the agent can reach the cluster and both the instance and the images pool. */
@Readiness
@ApplicationScoped
public class CephHealthCheck implements HealthCheck {

    private final RadosCluster cluster;
    private final AgentConfig.Rbd rbd;
    private final DependencyProbe probe;

    CephHealthCheck(RadosCluster cluster, AgentConfig config, MeterRegistry registry) {
        this.cluster = cluster;
        this.rbd = config.rbd();
        this.probe = new DependencyProbe("ceph", rbd.cephConf() + " as client." + rbd.user(),
                config.health().probeTimeout(), registry);
    }

    @Override
    public HealthCheckResponse call() {
        return probe.check(() -> {
            Map<String, String> data = new LinkedHashMap<>();
            data.put("fsid", cluster.fsid());
            data.put("pool " + rbd.pool(), cluster.imageCount(rbd.pool()) + " images");
            data.put("pool " + rbd.imagesPool(), cluster.imageCount(rbd.imagesPool()) + " images");
            return data;
        });
    }

    @PreDestroy
    void close() {
        probe.close();
    }
}
