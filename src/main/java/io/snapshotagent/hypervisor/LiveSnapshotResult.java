package io.snapshotagent.hypervisor;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A finished live snapshot.
 *
 * @param output        the extracted image
 * @param quiesced      whether the guest's file systems were frozen when the mirror stopped
 * @param mirrorBytes   what the block job reported as its length
 * @param mirrorTime    from starting the copy until it was stopped
 * @param convertTime   the {@code qemu-img convert} of the delta into the output
 */
public record LiveSnapshotResult(Path output, boolean quiesced, long mirrorBytes, Duration mirrorTime, Duration convertTime) {
}
