package io.snapshotagent.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigValidatorTest {

    @TempDir
    Path dir;

    private Map<String, String> valid() throws IOException {
        Path conf = Files.writeString(dir.resolve("ceph.conf"), "[global]\n");
        Map<String, String> p = new HashMap<>();
        p.put("snapshot.host", "compute-1");
        p.put("snapshot.rbd.ceph-conf", conf.toString());
        p.put("snapshot.libvirt.snapshots-directory", dir.resolve("snapshots").toString());
        p.put("snapshot.keystone.auth-url", "http://127.0.0.1:5000/v3");
        p.put("snapshot.keystone.username", "nova");
        p.put("snapshot.keystone.password", "secret");
        return p;
    }

    private static AgentConfig map(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(AgentConfig.class)
                // Quarkus' own converter, so "10s" reads as it does in the application
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 100))
                .build();
        return config.getConfigMapping(AgentConfig.class);
    }

    private List<String> problemsWith(String key, String value) throws IOException {
        Map<String, String> p = valid();
        p.put(key, value);
        return ConfigValidator.problems(map(p));
    }

    private static void assertOneProblem(List<String> problems, String key, String text) {
        assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
        assertTrue(problems.get(0).startsWith(key + ": "), problems.get(0));
        assertTrue(problems.get(0).contains(text), problems.get(0));
    }

    @Test
    void aCompleteConfigurationHasNoProblemsAndNovaDefaults() throws IOException {
        AgentConfig config = map(valid());
        assertEquals(List.of(), ConfigValidator.problems(config));
        assertEquals(5, config.maxConcurrentSnapshots());
        assertEquals("snapshot", config.rpc().topic());
        assertEquals("nova", config.rpc().controlExchange());
        assertEquals("qemu:///system", config.libvirt().uri());
        assertEquals("vms", config.rbd().pool());
        assertEquals("nova", config.rbd().user());
        assertEquals("internal", config.glance().endpointInterface());
    }

    @Test
    void missingCephConfIsNamedWithItsPath() throws IOException {
        assertOneProblem(problemsWith("snapshot.rbd.ceph-conf", "/nonexistent/ceph.conf"),
                "snapshot.rbd.ceph-conf", "/nonexistent/ceph.conf does not exist");
    }

    @Test
    void cephConfThatIsADirectoryIsRefused() throws IOException {
        assertOneProblem(problemsWith("snapshot.rbd.ceph-conf", dir.toString()),
                "snapshot.rbd.ceph-conf", "is not a readable file");
    }

    @Test
    void rbdUserWithClientPrefixGetsTheFixSuggested() throws IOException {
        assertOneProblem(problemsWith("snapshot.rbd.user", "client.nova"), "snapshot.rbd.user", "e.g. 'nova'");
    }

    @Test
    void keystoneUrlMustBeHttp() throws IOException {
        assertOneProblem(problemsWith("snapshot.keystone.auth-url", "ftp://keystone/v3"),
                "snapshot.keystone.auth-url", "not an http(s) URL");
    }

    @Test
    void libvirtUriNeedsAScheme() throws IOException {
        assertOneProblem(problemsWith("snapshot.libvirt.uri", "/system"), "snapshot.libvirt.uri", "no driver scheme");
    }

    @Test
    void snapshotsDirectoryMustBeAbsoluteAndCreatable() throws IOException {
        assertOneProblem(problemsWith("snapshot.libvirt.snapshots-directory", "relative/dir"),
                "snapshot.libvirt.snapshots-directory", "absolute");
        assertOneProblem(problemsWith("snapshot.libvirt.snapshots-directory", "/nonexistent/parent/snapshots"),
                "snapshot.libvirt.snapshots-directory", "nor its parent exists");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertOneProblem(problemsWith("snapshot.libvirt.snapshots-directory", file.toString()),
                "snapshot.libvirt.snapshots-directory", "not a directory");
    }

    @Test
    void concurrencyBelowOneIsRefused() throws IOException {
        assertOneProblem(problemsWith("snapshot.max-concurrent-snapshots", "0"),
                "snapshot.max-concurrent-snapshots", "at least 1");
    }

    @Test
    void unknownImageFormatAndInterfaceAreRefused() throws IOException {
        assertOneProblem(problemsWith("snapshot.libvirt.snapshot-image-format", "iso"),
                "snapshot.libvirt.snapshot-image-format", "'iso'");
        assertOneProblem(problemsWith("snapshot.glance.endpoint-interface", "private"),
                "snapshot.glance.endpoint-interface", "'private'");
    }

    @Test
    void hostAndTopicMustBeUsableInARoutingKey() throws IOException {
        assertOneProblem(problemsWith("snapshot.host", "compute 1"), "snapshot.host", "not a host name");
        assertOneProblem(problemsWith("snapshot.rpc.topic", "snap#"), "snapshot.rpc.topic", "not a valid topic");
    }

    @Test
    void everyProblemIsReportedAtOnce() throws IOException {
        Map<String, String> p = valid();
        p.put("snapshot.rbd.ceph-conf", "/nonexistent/ceph.conf");
        p.put("snapshot.rbd.user", "client.nova");
        p.put("snapshot.max-concurrent-snapshots", "-1");
        assertEquals(3, ConfigValidator.problems(map(p)).size());
    }

    @Test
    void theHostDefaultsToTheHostname() {
        HostnameConfigSource source = new HostnameConfigSource();
        assertEquals(HostnameConfigSource.hostname(), source.getValue("snapshot.host"));
        assertEquals(null, source.getValue("snapshot.rpc.topic"));
        Map<String, String> p = new HashMap<>();
        p.put("snapshot.host", "configured");
        SmallRyeConfig config = new SmallRyeConfigBuilder().withSources(source, new PropertiesConfigSource(p, "test", 100)).build();
        assertEquals("configured", config.getValue("snapshot.host", String.class), "a configured host wins");
    }

    @Test
    void theStartupErrorListsEachProblemOnItsOwnLine() {
        String message = new InvalidConfigurationException(List.of("a: one", "b: two")).getMessage();
        assertEquals("Snapshot Agent cannot start, its configuration is invalid:\n  - a: one\n  - b: two", message);
    }
}
