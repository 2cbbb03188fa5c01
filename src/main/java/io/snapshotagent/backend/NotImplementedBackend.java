package io.snapshotagent.backend;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The only backend until the rbd and local-disk backends land: every snapshot fails with
 * {@code not-implemented}, so the whole pipeline (states, history, failure path) runs for real.
 */
@ApplicationScoped
public class NotImplementedBackend implements SnapshotBackend {

    public static final String CODE = "not-implemented";

    @Override
    public void snapshot(SnapshotJob job, SnapshotProgress progress) throws BackendException {
        throw new BackendException(CODE, "no snapshot backend is available in this build of the agent");
    }
}
