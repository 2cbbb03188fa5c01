package io.snapshotagent.hypervisor;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link LiveSnapshot#cleanupAfterCrash} found and put right.
 *
 * @param abortedJobs   disks whose block copy into the scratch directory was stopped
 * @param redefined     whether the domain was defined again from the configuration a
 *                      rebase-style snapshot had saved before undefining it
 * @param deletedFiles  stale deltas and saved configurations removed
 */
public record LiveSnapshotCleanup(List<String> abortedJobs, boolean redefined, List<Path> deletedFiles) {

    public boolean nothingFound() {
        return abortedJobs.isEmpty() && !redefined && deletedFiles.isEmpty();
    }
}
