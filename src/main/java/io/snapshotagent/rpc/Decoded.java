package io.snapshotagent.rpc;

import java.util.Optional;

/** What the decoder made of one message body. */
public sealed interface Decoded {

    /** A snapshot or backup request for this host. */
    record Accepted(SnapshotCast cast) implements Decoded {
    }

    /**
     * Another nova compute method, seen when the agent listens on nova's own {@code compute}
     * topic: acknowledged and counted, never dead-lettered.
     */
    record Ignored(String method) implements Decoded {
    }

    /**
     * Unusable: dead-lettered with {@code reason}. Whatever ids could still be read are kept so
     * an error event can name the instance and image.
     */
    record Rejected(RejectReason reason, String detail, Optional<String> instanceUuid, Optional<String> imageId)
            implements Decoded {
    }
}
