package io.snapshotagent.health;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DependencyProbeTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private double gauge(String name) {
        return registry.get("snapshot_agent_dependency_up").tag("dependency", name).gauge().value();
    }

    @Test
    void aPassingProbeIsUpWithItsDataAndEndpoint() {
        try (DependencyProbe probe = new DependencyProbe("ceph", "conf", Duration.ofSeconds(2), registry)) {
            HealthCheckResponse r = probe.check(() -> Map.of("fsid", "f"));
            assertEquals(HealthCheckResponse.Status.UP, r.getStatus());
            assertEquals("f", r.getData().orElseThrow().get("fsid"));
            assertEquals("conf", r.getData().orElseThrow().get("endpoint"));
            assertEquals(1.0, gauge("ceph"));
        }
    }

    @Test
    void aFailingProbeIsDownWithTheCauseChain() {
        try (DependencyProbe probe = new DependencyProbe("glance", "url", Duration.ofSeconds(2), registry)) {
            HealthCheckResponse r = probe.check(() -> {
                throw new IllegalStateException("GET failed", new IOException("Connection refused"));
            });
            assertEquals(HealthCheckResponse.Status.DOWN, r.getStatus());
            assertEquals("GET failed: Connection refused", r.getData().orElseThrow().get("error"));
            assertEquals(0.0, gauge("glance"));
        }
    }

    @Test
    void aBlockedProbeTimesOutAndIsNotStartedTwice() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        try (DependencyProbe probe = new DependencyProbe("libvirt", "uri", Duration.ofMillis(200), registry)) {
            DependencyProbe.Probe blocking = () -> {
                started.countDown();
                release.await();
                return Map.of();
            };
            HealthCheckResponse first = probe.check(blocking);
            assertEquals(HealthCheckResponse.Status.DOWN, first.getStatus());
            assertTrue(String.valueOf(first.getData().orElseThrow().get("error")).contains("no answer within 200 ms"));
            HealthCheckResponse second = probe.check(blocking);
            assertTrue(String.valueOf(second.getData().orElseThrow().get("error")).contains("previous probe still blocked"));
            assertEquals(1, started.getCount(), "the blocked probe must not have been started a second time");
            release.countDown();
        }
    }
}
