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
}
