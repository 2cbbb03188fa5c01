package io.snapshotagent.it;

import io.snapshotagent.it.support.LocalStack;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged agent refuses a broken configuration with a short, precise message. */
class StartupFailureIT {

    @Test
    void aMissingCephConfStopsTheAgentWithOneClearMessage() throws IOException, InterruptedException {
        Map<String, String> properties = LocalStack.upAndProperties();
        properties.put("snapshot.rbd.ceph-conf", "/nonexistent/ceph.conf");
        properties.put("quarkus.http.port", "0");
        Path jar = LocalStack.projectDir().resolve("target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), "package the agent first: " + jar);

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar.toString());
        Process agent = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(agent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent did not stop");

        assertNotEquals(0, agent.exitValue(), output);
        assertTrue(output.contains("Snapshot Agent cannot start, its configuration is invalid:"), output);
        assertTrue(output.contains("snapshot.rbd.ceph-conf: /nonexistent/ceph.conf does not exist"), output);
        assertEquals(0, output.lines().filter(l -> l.startsWith("\tat ")).count(), "a stack trace was printed:\n" + output);
        assertTrue(output.lines().noneMatch(l -> l.contains("Flyway") || l.contains("flywaydb")),
                "the database was touched before the configuration was validated:\n" + output);
    }
}
