package io.snapshotagent.rpc;

import java.util.List;

/**
 * What the agent keeps of oslo's flattened {@code _context_*} keys. The user's auth token and the
 * service catalog are deliberately absent: they are never read into this record, so they cannot
 * be persisted or logged by accident.
 */
public record RequestContext(
        String requestId,
        String globalRequestId,
        String userId,
        String userName,
        String projectId,
        String projectName,
        List<String> roles,
        boolean isAdmin) {

    public RequestContext {
        roles = roles == null ? List.of() : List.copyOf(roles);
    }
}
