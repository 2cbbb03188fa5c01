package io.snapshotagent.rpc;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.UUID;

/**
 * One decoded {@code snapshot_instance} or {@code backup_instance} cast.
 *
 * @param uniqueId   oslo's {@code _unique_id}: a redelivered message carries the same one
 * @param imageId    the Glance image nova-api created; the task's idempotency key
 * @param backupType {@code backup_instance} only (e.g. "daily")
 * @param rotation   {@code backup_instance} only: how many backups of that type to keep
 * @param instancePrimitive the Instance's {@code nova_object.data} as received, for nova-shaped notifications
 */
public record SnapshotCast(
        Method method,
        String rpcVersion,
        String uniqueId,
        UUID imageId,
        InstanceRef instance,
        Optional<String> backupType,
        Optional<Integer> rotation,
        RequestContext context,
        JsonNode instancePrimitive) {

    public enum Method {
        SNAPSHOT_INSTANCE("snapshot_instance"),
        BACKUP_INSTANCE("backup_instance");

        private final String wireName;

        Method(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Optional<Method> fromWire(String name) {
            for (Method m : values()) {
                if (m.wireName.equals(name)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
    }
}
