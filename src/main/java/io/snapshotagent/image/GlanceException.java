package io.snapshotagent.image;

import java.util.Optional;

/**
 * Glance refused a request or could not be reached. Carries what the operator needs to see in a
 * failed task: the HTTP status (0 when no answer came), the method and path, and Glance's own
 * message. A Glance refusal (400/403/409) is never a Ceph permission problem: callers must not
 * treat it as nova's {@code Forbidden} and fall back, they fail the snapshot.
 */
public class GlanceException extends Exception {

    /** The status when Glance gave no HTTP answer (connection refused, stalled, timed out). */
    public static final int NO_RESPONSE = 0;

    private final int status;
    private final String method;
    private final String path;
    private final String glanceMessage;

    public GlanceException(String message) {
        this(message, null);
    }

    public GlanceException(String message, Throwable cause) {
        super(message, cause);
        this.status = NO_RESPONSE;
        this.method = null;
        this.path = null;
        this.glanceMessage = null;
    }

    /** Glance answered {@code status}; {@code glanceMessage} is its explanation, if it gave one. */
    public GlanceException(String method, String path, int status, String glanceMessage) {
        super(describe(method, path, status, glanceMessage), null);
        this.status = status;
        this.method = method;
        this.path = path;
        this.glanceMessage = glanceMessage;
    }

    /** No answer from Glance; the I/O error is the cause. */
    public GlanceException(String method, String path, String what, Throwable cause) {
        super(method + " " + path + " " + what + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""),
                cause);
        this.status = NO_RESPONSE;
        this.method = method;
        this.path = path;
        this.glanceMessage = null;
    }

    private static String describe(String method, String path, int status, String glanceMessage) {
        String text = method + " " + path + " answered HTTP " + status;
        return glanceMessage == null || glanceMessage.isBlank() ? text : text + ": " + glanceMessage;
    }

    /** The HTTP status, or {@link #NO_RESPONSE}. */
    public int status() {
        return status;
    }

    /** The HTTP method of the failed request, when the failure belongs to one. */
    public Optional<String> method() {
        return Optional.ofNullable(method);
    }

    /** The request path (with query, never with a token), when the failure belongs to one. */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** Glance's own explanation, e.g. {@code "Invalid location"}. */
    public Optional<String> glanceMessage() {
        return Optional.ofNullable(glanceMessage);
    }

    /** Glance answered and said no (4xx): repeating the same request will not help. */
    public boolean isRefusal() {
        return status >= 400 && status < 500;
    }
}
