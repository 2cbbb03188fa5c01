package io.snapshotagent.ceph;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A Glance RBD location, {@code rbd://<fsid>/<pool>/<image>/<snap>}, as glance_store writes it and
 * nova's {@code RBDDriver.parse_url} reads it.
 */
public record RbdLocation(String fsid, String pool, String image, String snap) {

    private static final String PREFIX = "rbd://";

    public RbdLocation {
        for (String part : new String[] {fsid, pool, image, snap}) {
            if (part == null || part.isEmpty()) {
                throw new IllegalArgumentException("an RBD location needs fsid, pool, image and snapshot, got "
                        + fsid + "/" + pool + "/" + image + "/" + snap);
            }
        }
    }

    /**
     * Parses a location the way nova does: {@code rbd://} and exactly four non-empty,
     * URL-unquoted parts.
     *
     * @throws IllegalArgumentException for anything else (nova's {@code ImageUnacceptable})
     */
    public static RbdLocation parse(String url) {
        if (url == null || !url.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not an RBD location: " + url);
        }
        String[] parts = url.substring(PREFIX.length()).split("/", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("an RBD location has four parts (fsid/pool/image/snap): " + url);
        }
        for (int i = 0; i < parts.length; i++) {
            parts[i] = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
            if (parts[i].isEmpty()) {
                throw new IllegalArgumentException("an RBD location has no empty parts: " + url);
            }
        }
        return new RbdLocation(parts[0], parts[1], parts[2], parts[3]);
    }

    /** The URL Glance stores; the parts are written as they are, as nova does. */
    public String url() {
        return PREFIX + fsid + "/" + pool + "/" + image + "/" + snap;
    }

    @Override
    public String toString() {
        return url();
    }
}
