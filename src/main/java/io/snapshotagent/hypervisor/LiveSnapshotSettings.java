package io.snapshotagent.hypervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link LiveSnapshot} drives its block job.
 *
 * @param pollInterval   between two reads of the job's progress (nova sleeps 0.5 s)
 * @param mirrorTimeout  the mirror must be in sync within this, or the snapshot fails (a guest
 *                       that writes faster than the copy never gets there)
 * @param reconnectGrace how long libvirtd may be away (a restart) while a job runs: calls are
 *                       retried on a new connection until then; the job itself lives in QEMU
 * @param bandwidthBytesPerSecond limit of the copy, 0 for none (nova: none)
 * @param agentTimeout   how long the guest agent may take to answer the pre-check ping
 */
public record LiveSnapshotSettings(Duration pollInterval, Duration mirrorTimeout, Duration reconnectGrace,
                                   long bandwidthBytesPerSecond, Duration agentTimeout) {

    public static final LiveSnapshotSettings DEFAULTS = new LiveSnapshotSettings(Duration.ofMillis(250),
            Duration.ofHours(1), Duration.ofSeconds(30), 0, Duration.ofSeconds(5));

    public LiveSnapshotSettings {
        requirePositive(pollInterval, "pollInterval");
        requirePositive(mirrorTimeout, "mirrorTimeout");
        Objects.requireNonNull(reconnectGrace, "reconnectGrace");
        if (reconnectGrace.isNegative()) {
            throw new IllegalArgumentException("reconnectGrace cannot be negative: " + reconnectGrace);
        }
        if (bandwidthBytesPerSecond < 0) {
            throw new IllegalArgumentException("bandwidth cannot be negative: " + bandwidthBytesPerSecond);
        }
        requirePositive(agentTimeout, "agentTimeout");
        if (agentTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("libvirt counts the agent timeout in whole seconds: " + agentTimeout);
        }
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    public LiveSnapshotSettings withBandwidth(long bytesPerSecond) {
        return new LiveSnapshotSettings(pollInterval, mirrorTimeout, reconnectGrace, bytesPerSecond, agentTimeout);
    }

    public LiveSnapshotSettings withMirrorTimeout(Duration timeout) {
        return new LiveSnapshotSettings(pollInterval, timeout, reconnectGrace, bandwidthBytesPerSecond, agentTimeout);
    }

    public LiveSnapshotSettings withReconnectGrace(Duration grace) {
        return new LiveSnapshotSettings(pollInterval, mirrorTimeout, grace, bandwidthBytesPerSecond, agentTimeout);
    }
}
