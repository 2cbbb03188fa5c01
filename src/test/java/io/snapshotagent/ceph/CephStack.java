package io.snapshotagent.ceph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.it.support.LocalStack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local stack's Ceph for the integration tests: the agent's real configuration (through
 * SmallRye, as the application reads it) and the {@code rbd} CLI as client.admin to set up and
 * inspect images independently of the code under test.
 */
final class CephStack {

    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, String> properties;
    final Path cephConf;

    private CephStack(Map<String, String> properties) {
        this.properties = properties;
        this.cephConf = Path.of(properties.get("snapshot.rbd.ceph-conf"));
    }

    static CephStack up() {
        Map<String, String> agent = new HashMap<>();
        LocalStack.upAndProperties().forEach((k, v) -> {
            if (k.startsWith("snapshot.")) {
                agent.put(k, v);
            }
        });
        return new CephStack(agent);
    }

    /** The agent's configuration for the stack, connecting to Ceph as {@code user}. */
    AgentConfig config(String user) {
        Map<String, String> p = new HashMap<>(properties);
        p.put("snapshot.rbd.user", user);
        return new SmallRyeConfigBuilder()
                .withMapping(AgentConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(p, "stack", 100))
                .build()
                .getConfigMapping(AgentConfig.class);
    }

    RadosCluster cluster(String user) {
        return new RadosCluster(config(user));
    }

    /** The fsid written in the stack's ceph.conf. */
    String confFsid() throws IOException {
        Matcher m = Pattern.compile("(?m)^fsid\\s*=\\s*(\\S+)").matcher(Files.readString(cephConf));
        if (!m.find()) {
            throw new IllegalStateException("no fsid in " + cephConf);
        }
        return m.group(1);
    }

    /** Runs {@code rbd ARGS} as client.admin and returns its standard output. */
    String rbd(String... args) {
        return new String(run(null, args), StandardCharsets.UTF_8);
    }

    private byte[] run(MessageDigest digest, String... args) {
        List<String> command = new ArrayList<>(List.of("timeout", "120", "rbd", "-c", cephConf.toString(), "--id", "admin"));
        command.addAll(List.of(args));
        try {
            Path err = Files.createTempFile("rbd-cli", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out;
                try (InputStream in = p.getInputStream()) {
                    if (digest == null) {
                        out = in.readAllBytes();
                    } else {
                        byte[] buffer = new byte[1 << 20];
                        for (int n; (n = in.read(buffer)) > 0; ) {
                            digest.update(buffer, 0, n);
                        }
                        out = new byte[0];
                    }
                }
                if (!p.waitFor(130, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException(command + " failed: " + Files.readString(err));
                }
                return out;
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of the whole image or snapshot, read by {@code rbd export}. */
    String sha256(String spec) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            run(digest, "export", "--no-progress", spec, "-");
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<String> ls(String pool) {
        List<String> names = new ArrayList<>();
        json(rbd("ls", "--format", "json", pool)).forEach(n -> names.add(n.asText()));
        return names;
    }

    /** The snapshots of {@code pool/image}: name to whether it is protected. */
    Map<String, Boolean> snaps(String spec) {
        Map<String, Boolean> snaps = new LinkedHashMap<>();
        json(rbd("snap", "ls", "--format", "json", spec))
                .forEach(s -> snaps.put(s.get("name").asText(), "true".equals(s.get("protected").asText())));
        return snaps;
    }

    /** {@code rbd info} as JSON. */
    JsonNode info(String spec) {
        return json(rbd("info", "--format", "json", spec));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    /**
     * Imports {@code mib} MiB of data from a fixed seed as {@code pool/name} and gives it the
     * protected snapshot {@code snap}, as Glance's rbd store does.
     */
    void glanceImage(String pool, String name, int mib, long seed) throws IOException {
        Path data = Files.createTempFile("sa-ceph-it", ".raw");
        try {
            Random random = new Random(seed);
            byte[] chunk = new byte[1 << 20];
            try (var out = Files.newOutputStream(data)) {
                for (int i = 0; i < mib; i++) {
                    random.nextBytes(chunk);
                    out.write(chunk);
                }
            }
            rbd("import", "--no-progress", data.toString(), pool + "/" + name);
        } finally {
            Files.deleteIfExists(data);
        }
        rbd("snap", "create", "--no-progress", pool + "/" + name + "@snap");
        rbd("snap", "protect", pool + "/" + name + "@snap");
    }

    /** A nova instance disk: a clone of the Glance image, with {@code mib} MiB written by the "guest". */
    void novaDisk(String glanceSpec, String diskSpec, int mib) {
        rbd("clone", glanceSpec + "@snap", diskSpec);
        if (mib > 0) {
            rbd("bench", "--io-type", "write", "--io-size", "64K", "--io-total", mib + "M", diskSpec);
        }
    }

    /** Removes {@code pool/name} with all its snapshots, if it exists. */
    void purge(String spec) {
        if (!exists(spec)) {
            return;
        }
        for (String snap : snaps(spec).keySet()) {
            try {
                rbd("snap", "unprotect", spec + "@" + snap);
            } catch (IllegalStateException notProtected) {
                // only protected snapshots need it
            }
        }
        rbd("snap", "purge", "--no-progress", spec);
        rbd("rm", "--no-progress", spec);
    }

    boolean exists(String spec) {
        int slash = spec.indexOf('/');
        return ls(spec.substring(0, slash)).contains(spec.substring(slash + 1));
    }
}
