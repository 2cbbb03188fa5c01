package io.snapshotagent.task;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskStateTest {

    @Test
    void namesAreNovas() {
        assertEquals("image_snapshot_pending", TaskState.IMAGE_SNAPSHOT_PENDING.novaName());
        assertEquals("image_pending_upload", TaskState.IMAGE_PENDING_UPLOAD.novaName());
        for (TaskState s : TaskState.values()) {
            assertEquals(s, TaskState.fromNova(s.novaName()));
            assertEquals(s.name().toLowerCase(), s.novaName());
        }
        assertThrows(IllegalArgumentException.class, () -> TaskState.fromNova("rebooting"));
    }

    @Test
    void transitionsFollowNovasDriver() {
        assertEquals(EnumSet.of(TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_BACKUP), TaskState.IMAGE_SNAPSHOT_PENDING.next());
        assertEquals(Set.of(TaskState.IMAGE_PENDING_UPLOAD), TaskState.IMAGE_SNAPSHOT.next());
        assertEquals(Set.of(TaskState.IMAGE_PENDING_UPLOAD), TaskState.IMAGE_BACKUP.next());
        assertEquals(Set.of(TaskState.IMAGE_UPLOADING), TaskState.IMAGE_PENDING_UPLOAD.next());
        // the direct path failed after image_uploading: nova falls back to extract + upload
        assertEquals(Set.of(TaskState.IMAGE_PENDING_UPLOAD), TaskState.IMAGE_UPLOADING.next());
    }

    @Test
    void onlyARunningUploadCanSucceed() {
        for (TaskState s : TaskState.values()) {
            assertEquals(s == TaskState.IMAGE_UPLOADING, s.canSucceed(), s.name());
        }
        assertTrue(TaskState.IMAGE_UPLOADING.canSucceed());
    }
}
