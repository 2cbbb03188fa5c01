package io.snapshotagent.it.support;

import io.snapshotagent.image.GlanceImages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the end-to-end tests need of the agent's settings for the local stack, and the Glance
 * images they create (deleted again by {@link #deleteImages}).
 */
@ApplicationScoped
public class StackSettings {

    private final String rabbitHost;
    private final int rabbitPort;
    private final String cephConf;
    private final Path snapshots;
    private final GlanceImages glance;
    private final List<UUID> created = new ArrayList<>();

    StackSettings(GlanceImages glance, @ConfigProperty(name = "rabbitmq-host") String rabbitHost,
            @ConfigProperty(name = "rabbitmq-port") int rabbitPort,
            @ConfigProperty(name = "snapshot.rbd.ceph-conf") String cephConf,
            @ConfigProperty(name = "snapshot.libvirt.snapshots-directory") Path snapshots) {
        this.glance = glance;
        this.rabbitHost = rabbitHost;
        this.rabbitPort = rabbitPort;
        this.cephConf = cephConf;
        this.snapshots = snapshots;
    }

    public String cephConf() {
        return cephConf;
    }

    /** {@code snapshot.libvirt.snapshots-directory}, where scratch directories must not stay. */
    public Path snapshots() {
        return snapshots;
    }

    /** A queued image, as nova-api creates it before its cast. */
    public synchronized UUID newImage(String name) throws Exception {
        UUID id = glance.create(name, Map.of()).id();
        created.add(id);
        return id;
    }

    /** Best effort: the stack outlives the test class. */
    public synchronized void deleteImages() {
        for (UUID id : created) {
            try {
                glance.delete(id);
            } catch (Exception e) {
                // already gone, or Glance is down: nothing a later test depends on
            }
        }
        created.clear();
    }

    public SnapshotRun run(UUID instance) throws Exception {
        return new SnapshotRun(rabbitHost, rabbitPort, instance);
    }
}
