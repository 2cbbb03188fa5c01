package io.snapshotagent.task;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One requested image. {@code imageId} is unique: a redelivered or repeated cast for the same
 * image finds this row instead of making a second. State changes go through {@link TaskService}
 * only, as compare-and-set updates.
 */
@Entity
@Table(name = "snapshot_task")
public class SnapshotTask extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "image_id", nullable = false, unique = true)
    public UUID imageId;

    @Column(name = "instance_uuid", nullable = false)
    public UUID instanceUuid;

    /** {@code snapshot_instance} or {@code backup_instance}. */
    @Column(nullable = false)
    public String method;

    @Column(name = "backup_type")
    public String backupType;

    public Integer rotation;

    /** The node that accepted it ({@code snapshot.host}); only that node recovers it. */
    public String host;

    @Column(name = "rpc_version", nullable = false)
    public String rpcVersion;

    /** oslo's {@code _unique_id} of the first delivery. */
    @Column(name = "unique_id")
    public String uniqueId;

    @Column(name = "request_id")
    public String requestId;

    @Column(name = "global_request_id")
    public String globalRequestId;

    @Column(name = "user_id")
    public String userId;

    @Column(name = "project_id")
    public String projectId;

    /** The Instance fields and request context as received, without the user's token. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false, columnDefinition = "jsonb")
    public String request;

    @Enumerated(EnumType.STRING)
    @Column(name = "task_state")
    public TaskState taskState;

    @Enumerated(EnumType.STRING)
    public TaskOutcome outcome;

    @Column(name = "error_code")
    public String errorCode;

    @Column(name = "error_message")
    public String errorMessage;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "updated_at", nullable = false)
    public OffsetDateTime updatedAt;

    public boolean finished() {
        return outcome != null;
    }
}
