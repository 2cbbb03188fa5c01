package io.snapshotagent.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.snapshotagent.it.support.LocalStackResource;
import io.snapshotagent.task.NewTask;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

/** The read-only task API over the real database. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackResource.class, restrictToAnnotatedClass = true)
class TaskApiIT {

    @Inject
    TaskService tasks;

    private UUID failedTask(UUID image, UUID instance) {
        UUID id = tasks.accept(new NewTask(image, instance, "snapshot_instance", null, null, "6.0", null, "req-api",
                null, "u", "p", "{}")).task().id;
        tasks.transition(id, TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "snapshot started");
        tasks.fail(id, TaskState.IMAGE_SNAPSHOT, "not-implemented", "no backend");
        return id;
    }

    @Test
    void aTaskIsShownWithItsHistory() {
        UUID image = UUID.randomUUID();
        UUID id = failedTask(image, UUID.randomUUID());
        given().get("/v1/tasks/" + id).then().statusCode(200)
                .body("imageId", equalTo(image.toString()))
                .body("taskState", nullValue())
                .body("outcome", equalTo("failed"))
                .body("errorCode", equalTo("not-implemented"))
                .body("history.to", contains("image_snapshot_pending", "image_snapshot", null))
                .body("history[2].outcome", equalTo("failed"));
    }

    @Test
    void tasksAreFilteredAndPaged() {
        UUID instance = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        failedTask(first, instance);
        failedTask(UUID.randomUUID(), instance);
        failedTask(UUID.randomUUID(), instance);
        given().get("/v1/tasks?instance=" + instance).then().statusCode(200)
                .body("total", equalTo(3)).body("tasks", hasSize(3));
        given().get("/v1/tasks?instance=" + instance + "&limit=2&page=1").then().statusCode(200)
                .body("total", equalTo(3)).body("tasks", hasSize(1)).body("page", equalTo(1));
        given().get("/v1/tasks?image=" + first + "&outcome=failed").then().statusCode(200)
                .body("tasks", hasSize(1)).body("tasks[0].imageId", equalTo(first.toString()));
        given().get("/v1/tasks?image=" + first + "&state=image_uploading").then().statusCode(200)
                .body("total", equalTo(0));
    }

    @Test
    void badRequestsGetAClearJsonError() {
        given().get("/v1/tasks/not-a-uuid").then().statusCode(400).body("error", equalTo("invalid-uuid"));
        given().get("/v1/tasks/" + UUID.randomUUID()).then().statusCode(404).body("error", equalTo("task-not-found"));
        given().get("/v1/tasks?state=rebooting").then().statusCode(400).body("error", equalTo("invalid-state"));
        given().get("/v1/tasks?outcome=maybe").then().statusCode(400).body("error", equalTo("invalid-outcome"));
        given().get("/v1/tasks?limit=0").then().statusCode(400).body("error", equalTo("bad-paging"));
        given().get("/v1/tasks?page=x").then().statusCode(400).body("error", equalTo("bad-paging"));
    }
}
