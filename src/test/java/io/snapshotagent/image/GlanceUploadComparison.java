package io.snapshotagent.image;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.it.support.LocalStack;
import org.openstack4j.api.OSClient;
import org.openstack4j.api.types.Facing;
import org.openstack4j.model.common.ActionResponse;
import org.openstack4j.model.common.Identifier;
import org.openstack4j.model.common.Payloads;
import org.openstack4j.openstack.OSFactory;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The measurement behind docs/glance.md: one upload of SIZE MiB to the local stack's Glance with
 * either client, in a JVM of its own (run it with {@code -Xmx96m}). Not a test: run by hand,
 *
 * <pre>
 * java -Xmx96m -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     io.snapshotagent.image.GlanceUploadComparison jdk|openstack4j 256 [revoked]
 * </pre>
 * {@code revoked}: the client's token is revoked in Keystone before the upload, so Glance answers
 * the upload's first attempt with 401 and the client's re-authentication path runs.
 * Prints one line: what was sent, how long it took, the peak heap and RSS, what Glance stored.
 */
public final class GlanceUploadComparison {

    private GlanceUploadComparison() {
    }

    public static void main(String[] args) throws Exception {
        String client = args[0];
        int mib = Integer.parseInt(args[1]);
        boolean revoked = args.length > 2 && args[2].equals("revoked");
        Map<String, String> stack = LocalStack.upAndProperties();
        AgentConfig config = new SmallRyeConfigBuilder().withMapping(AgentConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(stack, "local-stack", 100)).build()
                .getConfigMapping(AgentConfig.class);

        Path file = Path.of(System.getProperty("java.io.tmpdir"), "glance-compare-" + mib + ".raw");
        String md5 = data(file, mib);
        KeystoneSession session = new KeystoneSession(config);
        GlanceImages images = new GlanceImages(session, config);
        GlanceImage image = images.create("compare-" + client + "-" + UUID.randomUUID().toString().substring(0, 8),
                Map.of("disk_format", "raw", "container_format", "bare"));
        String outcome = "not run";
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long gcBefore = gcCount();
        long start = System.nanoTime();
        try {
            if (client.equals("jdk")) {
                if (revoked) {
                    revoke(stack, session.authenticate().getId());
                }
                try {
                    images.upload(image.id(), file);
                    outcome = "ok";
                } catch (GlanceException e) {
                    outcome = "GlanceException " + e.getMessage();
                }
            } else {
                AgentConfig.Keystone ks = config.keystone();
                OSClient.OSClientV3 os = OSFactory.builderV3().endpoint(ks.authUrl().toString())
                        .credentials(ks.username(), ks.password(), Identifier.byName(ks.userDomainName()))
                        .scopeToProject(Identifier.byName(ks.projectName()), Identifier.byName(ks.projectDomainName()))
                        .authenticate();
                os.perspective(Facing.PUBLIC);
                if (revoked) {
                    revoke(stack, os.getToken().getId());
                }
                try (InputStream in = Files.newInputStream(file)) {
                    ActionResponse response = os.imagesV2().upload(image.id().toString(), Payloads.create(in), null);
                    outcome = response == null ? "null response" : response.isSuccess() ? "ok"
                            : "failed " + response.getCode() + " " + response.getFault();
                } catch (RuntimeException e) {
                    StringBuilder chain = new StringBuilder();
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        chain.append(chain.length() == 0 ? "" : " <- ").append(t.getClass().getSimpleName())
                                .append(": ").append(t.getMessage());
                    }
                    outcome = chain.toString();
                }
            }
        } finally {
            long millis = (System.nanoTime() - start) / 1_000_000;
            long heapPeak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    heapPeak += pool.getPeakUsage().getUsed();
                }
            }
            GlanceImage stored = images.get(image.id());
            System.out.printf("RESULT client=%s revoked=%s MiB=%d ms=%d MiB/s=%.0f heapPeakMiB=%.1f gcs=%d rssPeakMiB=%d"
                            + " outcome=[%s] glance: status=%s size=%s checksumMatches=%s%n",
                    client, revoked, mib, millis, mib / (millis / 1000.0), heapPeak / 1048576.0, gcCount() - gcBefore,
                    rssPeakMiB(), outcome, stored.status(), stored.size(), md5.equals(stored.checksum()));
            images.delete(image.id());
        }
        System.exit(0);
    }

    private static String data(Path file, int mib) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        byte[] chunk = new byte[1 << 20];
        if (Files.exists(file) && Files.size(file) == (long) mib << 20) {
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(chunk)) > 0) {
                    md5.update(chunk, 0, n);
                }
            }
            return HexFormat.of().formatHex(md5.digest());
        }
        SplittableRandom random = new SplittableRandom(mib);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                md5.update(chunk);
                out.write(chunk);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static void revoke(Map<String, String> stack, String token) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(stack.get("snapshot.keystone.auth-url") + "/auth/tokens"))
                        .header("X-Auth-Token", token).header("X-Subject-Token", token).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new IllegalStateException("Keystone did not revoke the token: " + response.statusCode());
        }
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long rssPeakMiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
