package io.snapshotagent.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScratchDirectoriesTest {

    @TempDir
    Path instances;

    private final AtomicLong usable = new AtomicLong(Long.MAX_VALUE);

    private ScratchDirectories scratch() {
        return new ScratchDirectories(instances.resolve("snapshots"), dir -> usable.get());
    }

    @Test
    void aPrivateDirectoryNamedAfterTheTask() throws Exception {
        UUID task = UUID.randomUUID();
        try (ScratchDir dir = scratch().open(task)) {
            assertEquals(instances.resolve("snapshots").resolve("snapshot-" + task), dir.path());
            assertTrue(Files.isDirectory(dir.path()));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path())));
            assertEquals(task, dir.taskId());
        }
    }

    @Test
    void closeRemovesEverythingInside() throws Exception {
        ScratchDir dir = scratch().open(UUID.randomUUID());
        Files.writeString(dir.resolve("0a1b2c"), "extract");
        Path nested = Files.createDirectories(dir.path().resolve("a/b"));
        Files.writeString(nested.resolve("f"), "x");
        Path readOnly = Files.writeString(dir.resolve("ro"), "x");
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r--------"));
        dir.close();
        assertFalse(Files.exists(dir.path()));
        dir.close(); // again: nothing to do, no error
        assertTrue(Files.isDirectory(instances.resolve("snapshots")), "the snapshots directory itself stays");
    }

    @Test
    void closeDoesNotFollowSymlinksOutOfTheDirectory() throws Exception {
        Path outside = Files.createDirectory(instances.resolve("precious"));
        Path keep = Files.writeString(outside.resolve("keep"), "x");
        ScratchDir dir = scratch().open(UUID.randomUUID());
        Files.createSymbolicLink(dir.path().resolve("link"), outside);
        dir.close();
        assertFalse(Files.exists(dir.path()));
        assertTrue(Files.exists(keep));
    }

    @Test
    void closeIsQuietWhenTheDirectoryIsAlreadyGone() throws Exception {
        ScratchDir dir = scratch().open(UUID.randomUUID());
        Files.delete(dir.path());
        dir.close();
        assertFalse(Files.exists(dir.path()));
    }

    @Test
    void fileNamesStayInside() throws Exception {
        try (ScratchDir dir = scratch().open(UUID.randomUUID())) {
            assertThrows(IllegalArgumentException.class, () -> dir.resolve("../escape"));
            assertThrows(IllegalArgumentException.class, () -> dir.resolve("a/b"));
            assertEquals(dir.path().resolve("ok"), dir.resolve("ok"));
        }
    }

    @Test
    void reopeningATaskReplacesWhatAnEarlierAttemptLeft() throws Exception {
        UUID task = UUID.randomUUID();
        ScratchDirectories scratch = scratch();
        Path leftover = scratch.open(task).resolve("half-written");
        Files.writeString(leftover, "x");
        try (ScratchDir again = scratch.open(task)) {
            assertFalse(Files.exists(leftover));
            assertTrue(Files.isDirectory(again.path()));
        }
    }

    @Test
    void sweepRemovesOnlyThatTasksLeftover() throws Exception {
        ScratchDirectories scratch = scratch();
        UUID crashed = UUID.randomUUID();
        UUID running = UUID.randomUUID();
        Files.writeString(scratch.open(crashed).resolve("extract"), "x"); // never closed: the agent "crashed"
        try (ScratchDir live = scratch.open(running)) {
            Files.createDirectories(scratch.root().resolve("not-ours"));
            assertEquals(2, scratch.leftovers().size());
            assertTrue(scratch.leftovers().containsAll(List.of(crashed, running)));
            assertTrue(scratch.sweep(crashed));
            assertFalse(Files.exists(scratch.root().resolve("snapshot-" + crashed)));
            assertTrue(Files.isDirectory(live.path()));
            assertFalse(scratch.sweep(crashed), "nothing left the second time");
            assertTrue(Files.isDirectory(scratch.root().resolve("not-ours")));
        }
        assertEquals(List.of(), scratch.leftovers());
    }

    @Test
    void noLeftoversWithoutASnapshotsDirectory() throws Exception {
        assertEquals(List.of(), scratch().leftovers());
    }

    @Test
    void liveSnapshotsOpenTheDirectoryForTraversalOnly() throws Exception {
        try (ScratchDir dir = scratch().open(UUID.randomUUID())) {
            dir.allowHypervisorTraversal();
            assertEquals("rwx-----x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path())));
        }
    }

    @Test
    void freeSpaceFailsFastWithBothNumbers() throws Exception {
        try (ScratchDir dir = scratch().open(UUID.randomUUID())) {
            usable.set(10 * 1024 * 1024);
            ScratchSpaceException e = assertThrows(ScratchSpaceException.class, () -> dir.ensureFreeSpace(16 * 1024 * 1024 + 1));
            assertEquals(ScratchSpaceException.INSUFFICIENT_DISK_SPACE, e.code());
            assertEquals(OptionalLong.of(16 * 1024 * 1024 + 1), e.requiredBytes());
            assertEquals(OptionalLong.of(10 * 1024 * 1024), e.usableBytes());
            assertTrue(e.getMessage().contains("needs 16777217 bytes (16.0 MiB)"), e.getMessage());
            assertTrue(e.getMessage().contains("only 10485760 bytes (10.0 MiB) are usable"), e.getMessage());
            assertTrue(e.getMessage().contains(dir.path().toString()), e.getMessage());
        }
    }

    @Test
    void exactlyEnoughIsEnough() throws Exception {
        try (ScratchDir dir = scratch().open(UUID.randomUUID())) {
            usable.set(4096);
            dir.ensureFreeSpace(4096);
            dir.ensureFreeSpace(0);
            assertThrows(ScratchSpaceException.class, () -> dir.ensureFreeSpace(4097));
            assertThrows(IllegalArgumentException.class, () -> dir.ensureFreeSpace(-1));
        }
    }

    @Test
    void anUnreadableFileSystemIsAScratchFailure() throws Exception {
        ScratchDirectories broken = new ScratchDirectories(instances.resolve("snapshots"), dir -> {
            throw new IOException("statvfs failed");
        });
        try (ScratchDir dir = broken.open(UUID.randomUUID())) {
            ScratchSpaceException e = assertThrows(ScratchSpaceException.class, () -> dir.ensureFreeSpace(1));
            assertEquals(ScratchSpaceException.SCRATCH_DIR_FAILED, e.code());
        }
    }

    @Test
    void theRealFileStoreReportsSomething() throws Exception {
        ScratchDirectories real = new ScratchDirectories(instances.resolve("snapshots"), ScratchDirectories.UsableSpace.FILE_STORE);
        try (ScratchDir dir = real.open(UUID.randomUUID())) {
            assertTrue(dir.usableBytes() > 0);
        }
    }

    @Test
    void aSnapshotsDirectoryThatCannotBeCreatedIsAClearError() throws IOException {
        Path file = Files.writeString(instances.resolve("file"), "x");
        ScratchDirectories scratch = new ScratchDirectories(file.resolve("snapshots"), dir -> 0);
        ScratchSpaceException e = assertThrows(ScratchSpaceException.class, () -> scratch.open(UUID.randomUUID()));
        assertEquals(ScratchSpaceException.SCRATCH_DIR_FAILED, e.code());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
