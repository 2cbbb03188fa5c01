package io.snapshotagent.qemu;

import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one program with an argument list (no shell), a time limit and captured output. When the
 * limit passes or the calling thread is interrupted (a cancelled task), the program and all its
 * descendants are killed and reaped before the call returns: nothing outlives the call.
 */
final class ChildProcess {

    /** How much of stderr is kept: its end is where the reason is. */
    static final int STDERR_TAIL_BYTES = 8 * 1024;
    private static final Duration REAP_WAIT = Duration.ofSeconds(30);
    private static final Logger LOG = Logger.getLogger(ChildProcess.class);

    /**
     * @param exitCode    the exit status, or -1 if the process was killed for the time limit
     * @param stdout      standard output when collected (see {@code stdoutLimit}), else empty
     * @param stderrTail  the last {@link #STDERR_TAIL_BYTES} of standard error, trimmed
     */
    record Completed(int exitCode, boolean timedOut, String stdout, String stderrTail) {
    }

    private ChildProcess() {
    }

    /**
     * @param stdoutLimit   collect at most this many bytes of stdout (0: discard it)
     * @param stdoutChunks  if not null, gets stdout split at '\r' and '\n' as it arrives
     * @throws InterruptedException the calling thread was interrupted; the process is gone
     * @throws IOException          the program could not be started
     */
    static Completed run(List<String> command, Map<String, String> environment, Duration timeout,
                         int stdoutLimit, Consumer<String> stdoutChunks) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(environment);
        Process process = builder.start();
        Drain stdout = new Drain(process.getInputStream(), stdoutLimit, false, stdoutChunks, "stdout-" + process.pid());
        Drain stderr = new Drain(process.getErrorStream(), STDERR_TAIL_BYTES, true, null, "stderr-" + process.pid());
        stdout.start();
        stderr.start();
        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killAndReap(process);
            stdout.finish();
            stderr.finish();
            throw e;
        }
        if (!finished) {
            killAndReap(process);
        }
        stdout.finish();
        stderr.finish();
        return new Completed(finished ? process.exitValue() : -1, !finished, stdout.text(), stderr.text().strip());
    }

    /**
     * SIGKILL for the process and every descendant, then wait until the process is reaped. The
     * descendants are listed first: once the parent dies they are re-parented and no longer show
     * up as its descendants. An interrupt while waiting is kept for the caller, not lost.
     */
    static void killAndReap(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + REAP_WAIT.toNanos();
        try {
            while (process.isAlive() && System.nanoTime() < deadline) {
                try {
                    process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            for (ProcessHandle d : descendants) {
                while (d.isAlive() && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (process.isAlive()) {
                // only a process stuck in the kernel (D state) survives SIGKILL this long
                LOG.errorf("pid %d did not exit %s after SIGKILL", process.pid(), REAP_WAIT);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads one stream to its end on its own thread, keeping its head (stdout) or tail (stderr). */
    private static final class Drain extends Thread {
        private final InputStream in;
        private final int limit;
        private final boolean keepTail;
        private final Consumer<String> chunks;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final StringBuilder pending = new StringBuilder();
        private byte[] tail = new byte[0];

        Drain(InputStream in, int limit, boolean keepTail, Consumer<String> chunks, String name) {
            super("qemu-img-" + name);
            setDaemon(true);
            this.in = in;
            this.limit = limit;
            this.keepTail = keepTail;
            this.chunks = chunks;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    keep(buffer, n);
                    if (chunks != null) {
                        split(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // the stream closes under us when the process is killed: what was read stays
            }
            if (chunks != null && pending.length() > 0) {
                chunks.accept(pending.toString());
            }
        }

        private synchronized void keep(byte[] buffer, int n) {
            if (keepTail) {
                byte[] joined = new byte[Math.min(limit, tail.length + n)];
                int fromOld = joined.length - Math.min(n, joined.length);
                System.arraycopy(tail, tail.length - fromOld, joined, 0, fromOld);
                System.arraycopy(buffer, n - (joined.length - fromOld), joined, fromOld, joined.length - fromOld);
                tail = joined;
            } else if (kept.size() < limit) {
                kept.write(buffer, 0, Math.min(n, limit - kept.size()));
            }
        }

        private void split(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\r' || c == '\n') {
                    if (pending.length() > 0) {
                        chunks.accept(pending.toString());
                        pending.setLength(0);
                    }
                } else {
                    pending.append(c);
                }
            }
        }

        /** Waits for the stream's end (the process is gone by now); a stream held open elsewhere is closed. */
        void finish() {
            boolean interrupted = Thread.interrupted();
            try {
                join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (isAlive()) {
                try {
                    in.close();
                } catch (IOException e) {
                    LOG.debugf("closing %s failed: %s", getName(), e.getMessage());
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized String text() {
            return keepTail ? new String(tail, StandardCharsets.UTF_8) : kept.toString(StandardCharsets.UTF_8);
        }
    }
}
