package io.snapshotagent.qemu;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.UUID;

/**
 * A task's private scratch directory ({@link ScratchDirectories#open}). {@link #close()} removes
 * it with everything inside, whatever happened; if even that fails the directory is left for
 * {@link ScratchDirectories#sweep}. Not thread-safe: one task owns it.
 */
public final class ScratchDir implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ScratchDir.class);
    private static final long MIB = 1024 * 1024;

    private final UUID taskId;
    private final Path path;
    private final ScratchDirectories.UsableSpace usableSpace;
    private boolean closed;

    ScratchDir(UUID taskId, Path path, ScratchDirectories.UsableSpace usableSpace) {
        this.taskId = taskId;
        this.path = path;
        this.usableSpace = usableSpace;
    }

    public UUID taskId() {
        return taskId;
    }

    public Path path() {
        return path;
    }

    /** A file name inside the directory; only a plain name, so nothing lands outside it. */
    public Path resolve(String fileName) {
        Path p = path.resolve(fileName);
        if (!p.getParent().equals(path)) {
            throw new IllegalArgumentException("'" + fileName + "' is not a plain file name");
        }
        return p;
    }

    /** Bytes the file system holding the directory can still give to the agent. */
    public long usableBytes() throws ScratchSpaceException {
        try {
            return usableSpace.bytes(path);
        } catch (IOException e) {
            throw new ScratchSpaceException("cannot read the free space of " + path + ": " + e, e);
        }
    }

    /**
     * Fails fast, before the guest is touched or anything is written, when the extract cannot fit.
     *
     * @param requiredBytes what the extract will write, e.g. {@link QemuImg#extractBytes}
     * @throws ScratchSpaceException {@link ScratchSpaceException#INSUFFICIENT_DISK_SPACE} with both numbers
     */
    public void ensureFreeSpace(long requiredBytes) throws ScratchSpaceException {
        requireSpace(path, requiredBytes, usableBytes());
    }

    static void requireSpace(Path dir, long requiredBytes, long usableBytes) throws ScratchSpaceException {
        if (requiredBytes < 0) {
            throw new IllegalArgumentException("required bytes cannot be negative: " + requiredBytes);
        }
        if (usableBytes < requiredBytes) {
            throw new ScratchSpaceException("the extract needs " + requiredBytes + " bytes (" + mib(requiredBytes)
                    + ") in " + dir + " but only " + usableBytes + " bytes (" + mib(usableBytes) + ") are usable there",
                    requiredBytes, usableBytes);
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }

    /**
     * Mode 0701, as nova sets for a live snapshot: the QEMU process, which may run as another
     * user, must reach the delta file inside, but nobody may list the directory.
     */
    public void allowHypervisorTraversal() throws ScratchSpaceException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx-----x"));
        } catch (IOException e) {
            throw new ScratchSpaceException("cannot open " + path + " for the hypervisor: " + e, e);
        }
    }

    /** Removes the directory and its contents; never throws (a failure is logged, the sweep gets it). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            ScratchDirectories.removeTree(path);
            closed = true;
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot remove the scratch directory %s of task %s (left for the sweep): %s", path, taskId, e);
        }
    }
}
