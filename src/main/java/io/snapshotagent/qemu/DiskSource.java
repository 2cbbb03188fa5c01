package io.snapshotagent.qemu;

import java.nio.file.Path;
import java.util.Objects;

/** What qemu-img reads or writes: a local file or device, or an RBD image through qemu's rbd driver. */
public sealed interface DiskSource permits DiskSource.File, DiskSource.Rbd {

    /** The filename argument qemu-img gets. */
    String qemuFilename();

    /** For messages and logs. */
    String describe();

    static DiskSource file(Path path) {
        return new File(path);
    }

    static DiskSource rbd(String pool, String image, String user, Path cephConf) {
        return new Rbd(pool, image, user, cephConf);
    }

    /**
     * A file or block device. The path must be absolute: qemu-img parses its arguments with
     * getopt, which would take a relative name starting with '-' for an option.
     */
    record File(Path path) implements DiskSource {
        public File {
            Objects.requireNonNull(path, "path");
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("qemu-img gets absolute paths only, not " + path);
            }
        }

        @Override
        public String qemuFilename() {
            return path.toString();
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * {@code rbd:<pool>/<image>:id=<user>:conf=<ceph.conf>}, nova's Rbd backend path. The key comes
     * from the keyring ceph.conf names, so no secret appears on the command line.
     */
    record Rbd(String pool, String image, String user, Path cephConf) implements DiskSource {
        public Rbd {
            requireName(pool, "pool");
            requireName(image, "image");
            requireName(user, "user");
            Objects.requireNonNull(cephConf, "cephConf");
            if (!cephConf.isAbsolute()) {
                throw new IllegalArgumentException("ceph.conf must be an absolute path, not " + cephConf);
            }
        }

        private static void requireName(String value, String what) {
            if (value == null || value.isBlank() || value.contains("/") || value.contains("@")) {
                throw new IllegalArgumentException("rbd " + what + " '" + value + "' must be non-empty, without '/' or '@'");
            }
        }

        @Override
        public String qemuFilename() {
            return "rbd:" + escape(pool) + "/" + escape(image) + ":id=" + escape(user) + ":conf=" + escape(cephConf.toString());
        }

        @Override
        public String describe() {
            return "rbd " + pool + "/" + image;
        }

        /** qemu's rbd filename syntax splits on ':' and takes '\' as the escape. */
        private static String escape(String s) {
            return s.replace("\\", "\\\\").replace(":", "\\:");
        }
    }
}
