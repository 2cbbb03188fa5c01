package io.snapshotagent.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotagent.task.NewTask;

import java.util.LinkedHashMap;
import java.util.Map;

/** Turns a decoded cast into the task row's fields; the stored request never holds a token. */
final class TaskRequests {

    private TaskRequests() {
    }

    static NewTask from(SnapshotCast cast, ObjectMapper json) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("instance", cast.instance());
        request.put("context", cast.context());
        // the primitive itself, so notifications can be built as nova builds them, even after a restart
        request.put("instance_primitive", cast.instancePrimitive());
        String requestJson;
        try {
            requestJson = json.writeValueAsString(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a decoded cast", e);
        }
        RequestContext c = cast.context();
        return new NewTask(cast.imageId(), cast.instance().uuid(), cast.method().wireName(),
                cast.backupType().orElse(null), cast.rotation().orElse(null), cast.rpcVersion(), cast.uniqueId(),
                c.requestId(), c.globalRequestId(), c.userId(), c.projectId(), requestJson);
    }
}
