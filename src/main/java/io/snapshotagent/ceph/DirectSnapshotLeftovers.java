package io.snapshotagent.ceph;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a direct snapshot task has in the cluster, as {@code pool/image[@snap]} specs: the temporary
 * snapshot of the disk, the clone (only if it is provably this task's) and the clone's
 * {@code snap}. After a successful snapshot that is just the clone and its snap; after a failure,
 * nothing.
 */
public record DirectSnapshotLeftovers(Optional<String> sourceSnap, Optional<String> cloneImage, Optional<String> cloneSnap) {

    public boolean isEmpty() {
        return sourceSnap.isEmpty() && cloneImage.isEmpty() && cloneSnap.isEmpty();
    }

    public List<String> specs() {
        List<String> specs = new ArrayList<>(3);
        sourceSnap.ifPresent(specs::add);
        cloneImage.ifPresent(specs::add);
        cloneSnap.ifPresent(specs::add);
        return specs;
    }

    @Override
    public String toString() {
        return isEmpty() ? "nothing" : String.join(", ", specs());
    }
}
