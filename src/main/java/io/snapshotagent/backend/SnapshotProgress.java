package io.snapshotagent.backend;

/**
 * nova's {@code update_task_state} callback, as the libvirt driver calls it: the backend says when
 * the disk is captured and when the upload starts; the pipeline records it as a task transition.
 */
public interface SnapshotProgress {

    /** The disk is captured (or the direct path begins): {@code image_pending_upload}. */
    void pendingUpload();

    /** Data is going to Glance: {@code image_uploading}. */
    void uploading();

    /**
     * The direct path was impossible and the fallback path follows (the task goes back to
     * {@code image_pending_upload} next, as in nova); {@code why} goes into the task's history.
     */
    void fellBack(String why);
}
