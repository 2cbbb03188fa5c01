package io.snapshotagent.task;

import java.util.UUID;

/**
 * What the RPC ingress hands over for a new task. {@code requestJson} is the instance and context
 * as received, already stripped of the user's token.
 */
public record NewTask(
        UUID imageId,
        UUID instanceUuid,
        String method,
        String backupType,
        Integer rotation,
        String rpcVersion,
        String uniqueId,
        String requestId,
        String globalRequestId,
        String userId,
        String projectId,
        String requestJson) {
}
