package io.snapshotagent.ceph;

/** One snapshot of an image: its name, librbd's snapshot id and the image size it recorded. */
public record RbdSnap(String name, long id, long size) {
}
