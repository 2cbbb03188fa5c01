package io.snapshotagent.task;

import java.util.EnumSet;
import java.util.Set;

/**
 * nova's {@code compute/task_states.py} values for a snapshot, spelled as nova spells them on
 * the wire and in notifications. A finished task has no task state (nova's {@code None}) and an
 * {@link TaskOutcome}.
 */
public enum TaskState {
    IMAGE_SNAPSHOT_PENDING("image_snapshot_pending"),
    IMAGE_SNAPSHOT("image_snapshot"),
    IMAGE_BACKUP("image_backup"),
    IMAGE_PENDING_UPLOAD("image_pending_upload"),
    IMAGE_UPLOADING("image_uploading");

    private final String novaName;

    TaskState(String novaName) {
        this.novaName = novaName;
    }

    public String novaName() {
        return novaName;
    }

    /**
     * The states nova's driver moves to from this one. {@code IMAGE_UPLOADING → IMAGE_PENDING_UPLOAD}
     * is nova's fall back from the direct path to extract-and-upload.
     */
    public Set<TaskState> next() {
        return switch (this) {
            case IMAGE_SNAPSHOT_PENDING -> EnumSet.of(IMAGE_SNAPSHOT, IMAGE_BACKUP);
            case IMAGE_SNAPSHOT, IMAGE_BACKUP -> EnumSet.of(IMAGE_PENDING_UPLOAD);
            case IMAGE_PENDING_UPLOAD -> EnumSet.of(IMAGE_UPLOADING);
            case IMAGE_UPLOADING -> EnumSet.of(IMAGE_PENDING_UPLOAD);
        };
    }

    /** Only an upload that ran can finish as succeeded, as nova expects {@code image_uploading} there. */
    public boolean canSucceed() {
        return this == IMAGE_UPLOADING;
    }

    public static TaskState fromNova(String name) {
        for (TaskState s : values()) {
            if (s.novaName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not a snapshot task state: " + name);
    }
}
