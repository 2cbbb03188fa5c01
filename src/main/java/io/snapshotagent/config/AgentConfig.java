package io.snapshotagent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's settings. Names follow nova.conf where nova has the option
 * ({@code [DEFAULT] host}, {@code [libvirt] connection_uri}, {@code images_rbd_ceph_conf}, ...),
 * so an operator can carry a compute node's values over. See docs/configuration.md.
 */
@ConfigMapping(prefix = "snapshot")
public interface AgentConfig {

    /** nova's {@code [DEFAULT] host}; the node's hostname when unset ({@link HostnameConfigSource}). */
    String host();

    /** nova's {@code [DEFAULT] max_concurrent_snapshots}. */
    @WithDefault("5")
    int maxConcurrentSnapshots();

    Rpc rpc();

    Libvirt libvirt();

    Rbd rbd();

    Keystone keystone();

    Glance glance();

    Health health();

    Notifications notifications();

    Workarounds workarounds();

    interface Workarounds {
        /** nova's {@code [workarounds] disable_libvirt_livesnapshot}: every snapshot is cold. */
        @WithDefault("false")
        boolean disableLibvirtLivesnapshot();
    }

    interface Notifications {
        /** nova's {@code [notifications] versioned_notifications_topics}. */
        @WithDefault("versioned_notifications")
        java.util.List<String> topics();

        /** Pause between outbox polls when nothing is waiting. */
        @WithDefault("200ms")
        Duration pollInterval();
    }

    interface Rpc {
        /** The RPC topic the agent listens on: {@code <topic>.<host>}. */
        @WithDefault("snapshot")
        String topic();

        /** oslo.messaging's {@code control_exchange}. */
        @WithDefault("nova")
        String controlExchange();

        /** Bodies larger than this are dead-lettered unread (a real Instance primitive is ~10 KiB). */
        @WithDefault("1048576")
        int maxMessageBytes();
    }

    interface Libvirt {
        /** nova's {@code [libvirt] connection_uri}. */
        @WithDefault("qemu:///system")
        String uri();

        /** nova's {@code [libvirt] snapshots_directory}: where the fallback path extracts disks. */
        @WithDefault("/var/lib/nova/instances/snapshots")
        Path snapshotsDirectory();

        /** nova's {@code [libvirt] snapshot_image_format}; the source's format when unset. */
        Optional<String> snapshotImageFormat();

        /** nova's {@code [libvirt] snapshot_compression}: {@code qemu-img -c} for qcow2 output. */
        @WithDefault("false")
        boolean snapshotCompression();

        LiveSnapshot liveSnapshot();

        interface LiveSnapshot {
            /** Time between block-job polls. */
            @WithDefault("250ms")
            Duration pollInterval();

            /** The mirror must be in sync by then, or the snapshot fails {@code block-job-timed-out}. */
            @WithDefault("1h")
            Duration mirrorTimeout();

            /** How long libvirtd may be away during a job before the snapshot gives up. */
            @WithDefault("30s")
            Duration reconnectGrace();

            /** Copy limit of the mirror in bytes per second; 0 is unlimited, as nova. */
            @WithDefault("0")
            long bandwidth();
        }

        /** Longest a {@code qemu-img convert} of one disk may run before it is killed. */
        @WithDefault("6h")
        Duration convertTimeout();
    }

    interface Rbd {
        /** nova's {@code [libvirt] images_rbd_ceph_conf}. */
        @WithDefault("/etc/ceph/ceph.conf")
        Path cephConf();

        /** nova's {@code [libvirt] rbd_user} (without {@code client.}). */
        @WithDefault("nova")
        String user();

        /** nova's {@code [libvirt] images_rbd_pool}: where instance disks live. */
        @WithDefault("vms")
        String pool();

        /** Glance's {@code rbd_store_pool}: where direct snapshots go when no parent pool is known. */
        @WithDefault("images")
        String imagesPool();

        /** nova's {@code [libvirt] rbd_secret_uuid}. */
        Optional<String> secretUuid();

        /** nova's {@code [libvirt] rbd_connect_timeout}, also used for mon and OSD operations. */
        @WithDefault("5")
        int connectTimeout();
    }

    interface Keystone {
        URI authUrl();

        String username();

        String password();

        @WithDefault("service")
        String projectName();

        @WithDefault("Default")
        String userDomainName();

        @WithDefault("Default")
        String projectDomainName();

        Optional<String> regionName();
    }

    interface Glance {
        /** nova's {@code [glance] valid_interfaces}, the first one: which catalog endpoint to use. */
        @WithDefault("internal")
        String endpointInterface();

        /** nova's {@code [glance] endpoint_override}: skips the catalog. */
        Optional<URI> endpointOverride();

        @WithDefault("10s")
        Duration timeout();
    }

    interface Health {
        /** Upper bound for one readiness probe of one dependency. */
        @WithDefault("8s")
        Duration probeTimeout();
    }
}
