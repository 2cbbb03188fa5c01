package io.snapshotagent.qemu;

import io.snapshotagent.config.AgentConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One private directory per task under nova's {@code [libvirt] snapshots_directory}
 * ({@code snapshot.libvirt.snapshots-directory}), where the fallback path extracts the disk. nova
 * uses an anonymous tempdir; here the name carries the task id, so the directory a crashed task
 * left behind can be found and removed ({@link #sweep}).
 */
@ApplicationScoped
public class ScratchDirectories {

    /** Directory names are this prefix and the task id. */
    public static final String PREFIX = "snapshot-";
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
    private static final Logger LOG = Logger.getLogger(ScratchDirectories.class);

    /** Usable bytes of the file system holding a directory; replaceable for tests of the arithmetic. */
    @FunctionalInterface
    public interface UsableSpace {
        long bytes(Path directory) throws IOException;

        UsableSpace FILE_STORE = directory -> Files.getFileStore(directory).getUsableSpace();
    }

    private final Path root;
    private final UsableSpace usableSpace;

    @Inject
    ScratchDirectories(AgentConfig config) {
        this(config.libvirt().snapshotsDirectory(), UsableSpace.FILE_STORE);
    }

    public ScratchDirectories(Path snapshotsDirectory, UsableSpace usableSpace) {
        if (!snapshotsDirectory.isAbsolute()) {
            throw new IllegalArgumentException("the snapshots directory must be absolute: " + snapshotsDirectory);
        }
        this.root = snapshotsDirectory;
        this.usableSpace = usableSpace;
    }

    public Path root() {
        return root;
    }

    /**
     * Creates {@code <snapshots directory>/snapshot-<taskId>}, mode 0700, creating the snapshots
     * directory if needed (nova's {@code ensure_tree}). What an earlier attempt of the same task
     * left there is removed first. Close the result to remove it again.
     */
    public ScratchDir open(UUID taskId) throws ScratchSpaceException {
        Path dir = pathOf(taskId);
        try {
            Files.createDirectories(root);
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                LOG.warnf("removing the scratch directory %s an earlier attempt of task %s left", dir, taskId);
                removeTree(dir);
            }
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE));
            // the umask may have taken bits away; set exactly what is meant
            Files.setPosixFilePermissions(dir, PRIVATE);
        } catch (IOException e) {
            throw new ScratchSpaceException("cannot create the scratch directory " + dir + ": " + e, e);
        }
        return new ScratchDir(taskId, dir, usableSpace);
    }

    /**
     * Removes the scratch directory of a task that died without closing it (recovery after a
     * crash). Returns whether there was one.
     */
    public boolean sweep(UUID taskId) throws ScratchSpaceException {
        Path dir = pathOf(taskId);
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            removeTree(dir);
        } catch (IOException e) {
            throw new ScratchSpaceException("cannot remove the leftover scratch directory " + dir + ": " + e, e);
        }
        LOG.infof("removed the leftover scratch directory of task %s", taskId);
        return true;
    }

    /** Task ids whose scratch directories exist now (for a sweep of everything no live task owns). */
    public List<UUID> leftovers() throws ScratchSpaceException {
        List<UUID> ids = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return ids;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path entry : entries) {
                try {
                    ids.add(UUID.fromString(entry.getFileName().toString().substring(PREFIX.length())));
                } catch (IllegalArgumentException e) {
                    // not one of ours
                }
            }
        } catch (IOException e) {
            throw new ScratchSpaceException("cannot list " + root + ": " + e, e);
        }
        return ids;
    }

    Path pathOf(UUID taskId) {
        return root.resolve(PREFIX + taskId);
    }

    /** Deletes a tree without following symbolic links out of it. */
    static void removeTree(Path dir) throws IOException {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException failure) throws IOException {
                    if (failure != null) {
                        throw failure;
                    }
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // gone already
        }
    }
}
