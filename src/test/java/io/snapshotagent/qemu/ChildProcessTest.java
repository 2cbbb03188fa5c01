package io.snapshotagent.qemu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process handling under QemuImg, with real child processes. qemu-img itself never forks,
 * so a shell that starts a grandchild shows that descendants die too.
 */
class ChildProcessTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    /** Prints its own pid and a background sleep's pid, then waits for the sleep. */
    private static final List<String> SHELL_WITH_GRANDCHILD = List.of("/bin/sh", "-c", "echo $$; sleep 300 & echo $!; wait");

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void awaitPids(List<String> pids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pids.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(2, pids.size(), "the shell did not report its pids");
    }

    @Test
    void exitCodeStdoutAndTheCLocale() throws Exception {
        ChildProcess.Completed done = ChildProcess.run(List.of("/usr/bin/env"), Map.of("LC_ALL", "C", "LANG", "C"),
                LONG, 1 << 20, null);
        assertEquals(0, done.exitCode());
        assertFalse(done.timedOut());
        assertTrue(done.stdout().lines().anyMatch("LC_ALL=C"::equals), done.stdout());
        assertTrue(done.stdout().lines().anyMatch("LANG=C"::equals), done.stdout());
    }

    @Test
    void stderrKeepsItsEndWithinTheBound() throws Exception {
        ChildProcess.Completed done = ChildProcess.run(List.of("/bin/sh", "-c",
                "i=0; while [ $i -lt 3000 ]; do echo line$i >&2; i=$((i+1)); done; exit 3"), Map.of(), LONG, 0, null);
        assertEquals(3, done.exitCode());
        assertTrue(done.stderrTail().endsWith("line2999"), done.stderrTail());
        assertTrue(done.stderrTail().length() <= ChildProcess.STDERR_TAIL_BYTES);
        assertFalse(done.stderrTail().contains("line0\n"));
        assertEquals("", done.stdout());
    }

    @Test
    void stdoutIsBoundedAndSplitIntoChunks() throws Exception {
        List<String> chunks = new CopyOnWriteArrayList<>();
        ChildProcess.Completed done = ChildProcess.run(List.of("/usr/bin/printf", "  (1.00/100%%)\\r  (50.00/100%%)\\r\\nlast"),
                Map.of(), LONG, 5, chunks::add);
        assertEquals("  (1.", done.stdout());
        assertEquals(List.of("  (1.00/100%)", "  (50.00/100%)", "last"), chunks);
    }

    @Test
    void aTimeoutKillsTheProcessAndItsDescendants() throws Exception {
        List<String> pids = new CopyOnWriteArrayList<>();
        long started = System.nanoTime();
        ChildProcess.Completed done = ChildProcess.run(SHELL_WITH_GRANDCHILD, Map.of(), Duration.ofMillis(700), 0, pids::add);
        assertTrue(done.timedOut());
        assertEquals(-1, done.exitCode());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20));
        assertEquals(2, pids.size(), pids::toString);
        for (String pid : pids) {
            assertFalse(alive(Long.parseLong(pid)), "pid " + pid + " survived the timeout");
        }
    }

    @Test
    void anInterruptKillsTheProcessAndItsDescendants() throws Exception {
        List<String> pids = new CopyOnWriteArrayList<>();
        Thread[] runner = new Thread[1];
        CompletableFuture<ChildProcess.Completed> call = new CompletableFuture<>();
        runner[0] = new Thread(() -> {
            try {
                call.complete(ChildProcess.run(SHELL_WITH_GRANDCHILD, Map.of(), LONG, 0, pids::add));
            } catch (Throwable t) {
                call.completeExceptionally(t);
            }
        });
        runner[0].start();
        awaitPids(pids);
        runner[0].interrupt();
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
        assertInstanceOf(InterruptedException.class, e.getCause());
        for (String pid : pids) {
            assertFalse(alive(Long.parseLong(pid)), "pid " + pid + " survived the interrupt");
        }
    }

    @Test
    void aMissingProgramCannotStart() {
        assertThrows(IOException.class, () -> ChildProcess.run(List.of("/nonexistent/qemu-img"), Map.of(), LONG, 0, null));
    }
}
