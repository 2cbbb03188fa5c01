package io.snapshotagent.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Drives the project's own {@code deploy/local/stack.sh}: the real services, never stand-ins. */
public final class LocalStack {

    private LocalStack() {
    }

    public static Path projectDir() {
        return Path.of(System.getProperty("snapshot-agent.test-project-dir", System.getProperty("user.dir")));
    }

    /** Runs {@code stack.sh ARGS...} and returns its standard output; fails the test on a non-zero exit. */
    public static String run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(projectDir().resolve("deploy/local/stack.sh").toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish in 600 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " exited " + p.exitValue() + ":\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Brings the stack up (fast when it is up) and returns the agent's settings for it. */
    public static Map<String, String> upAndProperties() {
        run("up");
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line : run("env", "--properties").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                properties.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return properties;
    }
}
