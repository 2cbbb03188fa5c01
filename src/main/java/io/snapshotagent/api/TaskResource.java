package io.snapshotagent.api;

import io.snapshotagent.task.SnapshotTask;
import io.snapshotagent.task.TaskOutcome;
import io.snapshotagent.task.TaskService;
import io.snapshotagent.task.TaskState;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Read-only view of the tasks: what upstream services and operators poll. See docs/api.md. */
@Path("/v1/tasks")
@Produces(MediaType.APPLICATION_JSON)
public class TaskResource {

    static final int MAX_LIMIT = 500;

    private final TaskService tasks;

    TaskResource(TaskService tasks) {
        this.tasks = tasks;
    }

    public record TaskList(List<TaskView> tasks, int page, int limit, long total) {
    }

    @GET
    public TaskList list(@QueryParam("instance") String instance, @QueryParam("image") String image,
            @QueryParam("state") String state, @QueryParam("outcome") String outcome,
            @QueryParam("page") @DefaultValue("0") String pageText, @QueryParam("limit") @DefaultValue("50") String limitText) {
        int page = number("page", pageText);
        int limit = number("limit", limitText);
        if (page < 0 || limit < 1 || limit > MAX_LIMIT) {
            throw new ApiException(400, "bad-paging", "page must be >= 0 and limit 1.." + MAX_LIMIT);
        }
        TaskService.TaskPage found = tasks.search(uuid("instance", instance), uuid("image", image), state(state),
                outcome(outcome), page, limit);
        return new TaskList(found.tasks().stream().map(t -> TaskView.of(t, null)).toList(), page, limit, found.total());
    }

    @GET
    @Path("{id}")
    public TaskView get(@PathParam("id") String id) {
        UUID taskId = uuid("id", id);
        SnapshotTask task = tasks.find(taskId);
        if (task == null) {
            throw new ApiException(404, "task-not-found", "no task " + taskId);
        }
        return TaskView.of(task, tasks.history(taskId));
    }

    private static int number(String name, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad-paging", name + " '" + value + "' is not a number");
        }
    }

    private static UUID uuid(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid-uuid", name + " '" + value + "' is not a UUID");
        }
    }

    private static TaskState state(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return TaskState.fromNova(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid-state", e.getMessage());
        }
    }

    private static TaskOutcome outcome(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return TaskOutcome.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid-outcome", "outcome is one of succeeded, failed, cancelled");
        }
    }
}
