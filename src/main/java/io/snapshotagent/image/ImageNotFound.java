package io.snapshotagent.image;

import java.util.UUID;

/**
 * Glance answered 404 for an image: nova's {@code ImageNotFound}. During a snapshot it means the
 * image was deleted meanwhile (the user gave up on it), which nova treats as the end of the
 * snapshot rather than an error to report.
 */
public class ImageNotFound extends GlanceException {

    private final UUID imageId;

    public ImageNotFound(UUID imageId, String method, String path, String glanceMessage) {
        super(method, path, 404, glanceMessage);
        this.imageId = imageId;
    }

    public UUID imageId() {
        return imageId;
    }
}
