package io.snapshotagent.image;

/**
 * Told how much of an upload has gone out. Called on an HTTP client thread, at most once per MiB
 * and once at the end, so it must return quickly. When an upload is retried from the start (after
 * a 401 or a 503) the count starts again at 0.
 */
@FunctionalInterface
public interface UploadProgress {

    UploadProgress NONE = (sent, total) -> { };

    void bytesSent(long sent, long total);
}
