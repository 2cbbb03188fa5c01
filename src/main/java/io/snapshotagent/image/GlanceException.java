package io.snapshotagent.image;

/** Glance refused or could not be reached. */
public class GlanceException extends Exception {

    public GlanceException(String message) {
        super(message);
    }

    public GlanceException(String message, Throwable cause) {
        super(message, cause);
    }
}
