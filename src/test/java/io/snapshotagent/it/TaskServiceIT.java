package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.task.NewTask;
import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import io.snapshotagent.task.TaskStateConflict;
import io.snapshotagent.task.TaskTransition;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The task state machine on the real PostgreSQL of the local stack. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class TaskServiceIT {

    @Inject
    TaskService tasks;

    private static NewTask newTask(UUID imageId) {
        return new NewTask(imageId, UUID.randomUUID(), "snapshot_instance", null, null, "6.0",
                UUID.randomUUID().toString().replace("-", ""), "req-" + UUID.randomUUID(), null, "user", "project",
                "{\"instance\": {\"display_name\": \"vm1\"}}");
    }

    @Test
    void theSameImageTwiceMakesOneTask() {
        UUID image = UUID.randomUUID();
        TaskService.Accepted first = tasks.accept(newTask(image));
        TaskService.Accepted again = tasks.accept(newTask(image));
        assertTrue(first.created());
        assertFalse(again.created());
        assertEquals(first.task().id, again.task().id);
        assertEquals(TaskState.IMAGE_SNAPSHOT_PENDING, again.task().taskState);
        assertEquals(1, tasks.history(first.task().id).size());
    }

    @Test
    void concurrentDeliveriesOfOneImageMakeOneTask() throws Exception {
        UUID image = UUID.randomUUID();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<TaskService.Accepted>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> tasks.accept(newTask(image)));
            }
            int created = 0;
            UUID id = null;
            for (Future<TaskService.Accepted> f : pool.invokeAll(calls)) {
                TaskService.Accepted a = f.get();
                created += a.created() ? 1 : 0;
                assertTrue(id == null || id.equals(a.task().id));
                id = a.task().id;
            }
            assertEquals(1, created);
            assertEquals(1L, SnapshotTask.count("imageId", image));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSnapshotRunsThroughNovasStatesAndKeepsItsHistory() {
        UUID id = tasks.accept(newTask(UUID.randomUUID())).task().id;
        tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "snapshot started");
        tasks.transition(id, TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_PENDING_UPLOAD, "disk captured");
        tasks.transition(id, TaskState.IMAGE_PENDING_UPLOAD, TaskState.IMAGE_UPLOADING, "upload started");
        SnapshotTask done = tasks.succeed(id, "image active");
        assertNull(done.taskState);
        assertEquals(TaskOutcome.SUCCEEDED, done.outcome);

        List<TaskTransition> history = tasks.history(id);
        assertEquals(List.of("null>image_snapshot_pending", "image_snapshot_pending>image_snapshot",
                        "image_snapshot>image_pending_upload", "image_pending_upload>image_uploading",
                        "image_uploading>null"),
                history.stream().map(h -> h.fromState + ">" + h.toState).toList());
        assertEquals("SUCCEEDED", history.get(4).outcome);
        assertEquals("image active", history.get(4).reason);
    }

    @Test
    void aLostCompareAndSetChangesNothing() {
        UUID id = tasks.accept(newTask(UUID.randomUUID())).task().id;
        tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "first");
        TaskStateConflict lost = assertThrows(TaskStateConflict.class,
                () -> tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_BACKUP, "second"));
        assertTrue(lost.getMessage().contains("is image_snapshot, expected image_snapshot_pending"), lost.getMessage());
        assertEquals(TaskState.IMAGE_SNAPSHOT, ((SnapshotTask) SnapshotTask.findById(id)).taskState);
        assertEquals(2, tasks.history(id).size());
    }

    @Test
    void aTransitionNovaNeverMakesIsRefused() {
        UUID id = tasks.accept(newTask(UUID.randomUUID())).task().id;
        assertThrows(IllegalArgumentException.class,
                () -> tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_UPLOADING, "skip"));
        assertThrows(TaskStateConflict.class, () -> tasks.succeed(id, "too early"));
        assertEquals(TaskState.IMAGE_SNAPSHOT_PENDING, ((SnapshotTask) SnapshotTask.findById(id)).taskState);
    }

    @Test
    void aFailedTaskKeepsItsCodeAndCannotMoveAgain() {
        UUID id = tasks.accept(newTask(UUID.randomUUID())).task().id;
        tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "started");
        SnapshotTask failed = tasks.fail(id, TaskState.IMAGE_SNAPSHOT, "not-implemented", "no snapshot backend yet");
        assertEquals(TaskOutcome.FAILED, failed.outcome);
        assertEquals("not-implemented", failed.errorCode);
        assertNull(failed.taskState);
        TaskStateConflict again = assertThrows(TaskStateConflict.class,
                () -> tasks.transition(id, TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_PENDING_UPLOAD, "late"));
        assertTrue(again.getMessage().contains("finished (FAILED)"), again.getMessage());
        assertFalse(tasks.inFlight().stream().anyMatch(t -> t.id.equals(id)));
    }
}
