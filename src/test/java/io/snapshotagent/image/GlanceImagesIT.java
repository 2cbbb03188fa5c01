package io.snapshotagent.image;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.snapshotagent.config.AgentConfig;
import io.snapshotagent.it.support.LocalStack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openstack4j.model.identity.v3.Token;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GlanceImages} against the local stack's real Keystone, Glance (Zed, file store by
 * default, rbd store for locations) and Ceph. Plain JUnit: the configuration is the stack's own
 * {@code env --properties}, mapped through SmallRye as the application maps it.
 */
class GlanceImagesIT {

    private static final String PREFIX = "it-glance-";
    private static Map<String, String> stack;
    private static AgentConfig config;

    @TempDir
    Path dir;

    private KeystoneSession session;
    private GlanceImages images;
    private final List<UUID> created = new CopyOnWriteArrayList<>();
    private final List<String> rbdImages = new CopyOnWriteArrayList<>();
    private final HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void stack() {
        stack = LocalStack.upAndProperties();
        SmallRyeConfig smallRye = new SmallRyeConfigBuilder()
                .withMapping(AgentConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(stack, "local-stack", 100))
                .build();
        config = smallRye.getConfigMapping(AgentConfig.class);
    }

    private GlanceImages client() {
        session = new KeystoneSession(config);
        GlanceSettings defaults = GlanceSettings.from(config);
        // a short page, so three images take two pages and the next link is followed
        return new GlanceImages(session, new GlanceSettings(defaults.timeout(), Duration.ofSeconds(20),
                defaults.numRetries(), defaults.retryInterval(), 2));
    }

    private GlanceImages images() {
        if (images == null) {
            images = client();
        }
        return images;
    }

    private GlanceImage create(String what, Map<String, ?> properties) throws GlanceException {
        GlanceImage image = images().create(PREFIX + what + "-" + UUID.randomUUID().toString().substring(0, 8), properties);
        created.add(image.id());
        return image;
    }

    @AfterEach
    void cleanUp() throws Exception {
        List<String> failures = new ArrayList<>();
        for (UUID id : created) {
            try {
                images().delete(id);
            } catch (GlanceException e) {
                failures.add(id + ": " + e.getMessage());
            }
        }
        for (String rbdImage : rbdImages) {
            // Glance removes the RBD image and its snap with the Glance image; this is for a test that failed first
            if (rbd(false, "info", "images/" + rbdImage).exit() == 0) {
                rbd(false, "snap", "unprotect", "images/" + rbdImage + "@snap");
                rbd(false, "snap", "purge", "images/" + rbdImage);
                rbd(true, "rm", "images/" + rbdImage);
            }
        }
        assertEquals(List.of(), failures, "images left behind");
    }

    // ---- create, get, update, delete ----------------------------------------------------------

    @Test
    void anImageIsCreatedQueuedReadUpdatedWithoutLosingPropertiesAndDeleted() throws GlanceException {
        String instance = UUID.randomUUID().toString();
        GlanceImage image = create("crud", Map.of("image_type", "snapshot", "instance_uuid", instance,
                "owner_project_name", "demo", "visibility", "private", "min_disk", 1));
        assertEquals(GlanceImage.QUEUED, image.status());
        assertEquals("snapshot", image.properties().get("image_type"));
        assertEquals(instance, image.properties().get("instance_uuid"));
        assertEquals("private", image.visibility());
        assertNull(image.size());
        assertNotNull(image.owner());
        assertNotNull(image.createdAt());

        GlanceImage read = images().get(image.id());
        assertEquals(image.id(), read.id());
        assertEquals(image.name(), read.name());
        assertEquals(image.properties(), read.properties());

        // what the libvirt driver sets before an upload: formats (null now), new and changed properties
        GlanceImage updated = images().update(image.id(), Map.of("disk_format", "raw", "container_format", "bare",
                "image_location", "snapshot", "image_state", "available", "owner_project_name", "other"));
        assertEquals("raw", updated.diskFormat());
        assertEquals("bare", updated.containerFormat());
        assertEquals("snapshot", updated.properties().get("image_location"));
        assertEquals("other", updated.properties().get("owner_project_name"));
        assertEquals(instance, updated.properties().get("instance_uuid"), "properties not named stay (purge_props=False)");
        assertEquals("snapshot", updated.properties().get("image_type"));
        assertEquals(updated.properties(), images().get(image.id()).properties());

        assertTrue(images().delete(image.id()));
        assertThrows(ImageNotFound.class, () -> images().get(image.id()));
        assertFalse(images().delete(image.id()), "already gone is fine");
    }

    @Test
    void glanceRefusesAReplaceOfAMissingPropertyAndTakesAnAddOnAnExistingOne() throws Exception {
        // why update() chooses the op from the current image: measured on this Glance
        GlanceImage image = create("patch-ops", Map.of("image_type", "snapshot"));
        HttpResponse<String> replaceMissing = patch(image.id(), "[{\"op\":\"replace\",\"path\":\"/nosuch\",\"value\":\"x\"}]");
        assertEquals(409, replaceMissing.statusCode(), replaceMissing.body());
        assertTrue(replaceMissing.body().contains("Property nosuch does not exist"), replaceMissing.body());
        HttpResponse<String> addExisting = patch(image.id(), "[{\"op\":\"add\",\"path\":\"/image_type\",\"value\":\"backup\"}]");
        assertEquals(200, addExisting.statusCode(), addExisting.body());
        assertEquals("backup", images().get(image.id()).properties().get("image_type"));
    }

    private HttpResponse<String> patch(UUID id, String ops) throws Exception {
        Token token = session.token();
        HttpRequest request = HttpRequest.newBuilder(GlanceHttp.resolve(session.glanceEndpoint(token), "/v2/images/" + id))
                .header("X-Auth-Token", token.getId()).header("Accept", "application/json")
                .header("Content-Type", ImagePatch.CONTENT_TYPE)
                .method("PATCH", HttpRequest.BodyPublishers.ofString(ops)).build();
        return raw.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void missingImagesAreImageNotFoundForEveryOperation() throws IOException {
        UUID missing = UUID.randomUUID();
        Path file = Files.write(dir.resolve("small"), new byte[4096]);
        for (ThrowingCall call : List.<ThrowingCall>of(
                () -> images().get(missing),
                () -> images().update(missing, Map.of("image_state", "available")),
                () -> images().upload(missing, file),
                () -> images().addLocation(missing, "rbd://f/images/x/snap"))) {
            ImageNotFound e = assertThrows(ImageNotFound.class, call::run);
            assertEquals(missing, e.imageId());
            assertEquals(404, e.status());
            assertTrue(e.glanceMessage().orElseThrow().contains(missing.toString()), e.getMessage());
        }
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }

    // ---- list ---------------------------------------------------------------------------------

    @Test
    void backupsOfOneInstanceListWithNovasPropertyFiltersNewestFirstAcrossPages() throws Exception {
        String instance = UUID.randomUUID().toString();
        List<UUID> oldestFirst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            oldestFirst.add(create("backup" + i, Map.of("image_type", "backup", "backup_type", "daily",
                    "instance_uuid", instance)).id());
            Thread.sleep(1100);   // Glance's created_at has whole seconds
        }
        create("weekly", Map.of("image_type", "backup", "backup_type", "weekly", "instance_uuid", instance));
        create("other-instance", Map.of("image_type", "backup", "backup_type", "daily",
                "instance_uuid", UUID.randomUUID().toString()));

        // exactly nova's _rotate_backups query; page size 2, so this takes two pages
        List<GlanceImage> daily = images().list(Map.of("property-image_type", "backup", "property-backup_type", "daily",
                "property-instance_uuid", instance), "created_at", "desc");
        assertEquals(List.of(oldestFirst.get(2), oldestFirst.get(1), oldestFirst.get(0)),
                daily.stream().map(GlanceImage::id).toList());

        List<GlanceImage> ascending = images().list(Map.of("instance_uuid", instance, "backup_type", "daily"),
                "created_at", "asc");
        assertEquals(oldestFirst, ascending.stream().map(GlanceImage::id).toList());

        assertEquals(4, images().list(Map.of("instance_uuid", instance), null, null).size());
    }

    // ---- upload -------------------------------------------------------------------------------

    private record Data(Path file, long size, String md5, String sha512) {
    }

    /** Deterministic pseudo-random bytes (incompressible, so nothing along the way can shortcut them). */
    private Data data(String name, int mib, long seed) throws IOException, NoSuchAlgorithmException {
        Path file = dir.resolve(name);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                md5.update(chunk);
                sha512.update(chunk);
                out.write(chunk);
            }
        }
        HexFormat hex = HexFormat.of();
        return new Data(file, (long) mib << 20, hex.formatHex(md5.digest()), hex.formatHex(sha512.digest()));
    }

    @Test
    void aStreamedUploadMakesTheImageActiveWithTheFilesSizeAndChecksums() throws Exception {
        Data data = data("disk.raw", 32, 20261201L);
        GlanceImage image = create("upload", Map.of("image_type", "snapshot"));
        images().update(image.id(), Map.of("disk_format", "raw", "container_format", "bare"));
        List<Long> progress = new CopyOnWriteArrayList<>();

        GlanceImage uploaded = images().upload(image.id(), data.file(), (sent, total) -> progress.add(sent));

        assertEquals(GlanceImage.ACTIVE, uploaded.status());
        assertEquals(data.size(), uploaded.size());
        assertEquals(data.md5(), uploaded.checksum());
        assertEquals("sha512", uploaded.osHashAlgo());
        assertEquals(data.sha512(), uploaded.osHashValue());
        assertEquals(data.size(), progress.get(progress.size() - 1));
        assertTrue(progress.size() >= 32, "reported about once per MiB: " + progress.size());
        assertEquals("snapshot", uploaded.properties().get("image_type"));

        GlanceException again = assertThrows(GlanceException.class, () -> images().upload(image.id(), data.file()));
        assertEquals(409, again.status(), "an active image takes no second upload: " + again.getMessage());
    }

    @Test
    void anUploadWhoseTokenWasRevokedSucceedsOnceWithANewToken() throws Exception {
        Data data = data("disk-renew.raw", 8, 7L);
        GlanceImage image = create("renew", Map.of("image_type", "snapshot"));
        images().update(image.id(), Map.of("disk_format", "raw", "container_format", "bare"));

        // a token Glance has never seen (so keystonemiddleware has not cached it), revoked in Keystone;
        // the session still holds it and believes it valid for an hour
        Token revoked = session.authenticate();
        revoke(revoked);
        assertEquals(revoked.getId(), session.token().getId(), "the session still offers the revoked token");
        List<Long> progress = new CopyOnWriteArrayList<>();

        GlanceImage uploaded = images().upload(image.id(), data.file(), (sent, total) -> progress.add(sent));

        assertEquals(GlanceImage.ACTIVE, uploaded.status());
        assertEquals(data.size(), uploaded.size());
        assertEquals(data.md5(), uploaded.checksum());
        assertEquals(data.sha512(), uploaded.osHashValue());
        assertNotEquals(revoked.getId(), session.token().getId(), "the 401 renewed the session's token");
        assertEquals(401, get(revoked, image.id()).statusCode(), "the old token really is refused by Glance");
        // the body went out twice at most: a restart from 0 shows in the progress, and ends complete
        assertEquals(data.size(), progress.get(progress.size() - 1));
    }

    private void revoke(Token token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.get("snapshot.keystone.auth-url") + "/auth/tokens"))
                .header("X-Auth-Token", token.getId()).header("X-Subject-Token", token.getId()).DELETE().build();
        HttpResponse<String> response = raw.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(204, response.statusCode(), "Keystone revokes the token: " + response.body());
    }

    private HttpResponse<String> get(Token token, UUID id) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(GlanceHttp.resolve(session.glanceEndpoint(session.token()),
                "/v2/images/" + id)).header("X-Auth-Token", token.getId()).GET().build();
        return raw.send(request, HttpResponse.BodyHandlers.ofString());
    }

    // ---- locations (the direct RBD snapshot path) ---------------------------------------------

    private record Run(int exit, String output) {
    }

    private Run rbd(boolean mustSucceed, String... args) throws IOException, InterruptedException {
        return ceph("rbd", mustSucceed, args);
    }

    private Run ceph(String tool, boolean mustSucceed, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("timeout", "60", tool, "-c", stack.get("snapshot.rbd.ceph-conf"),
                "--id", "admin"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), command + " did not finish");
        if (mustSucceed) {
            assertEquals(0, p.exitValue(), command + ": " + out);
        }
        return new Run(p.exitValue(), out.trim());
    }

    /** An RBD image with a protected snap named {@code snap} in Glance's pool, as nova's direct snapshot leaves it. */
    private String rbdImageWithSnap(int mib) throws Exception {
        String name = PREFIX + UUID.randomUUID();
        rbdImages.add(name);
        rbd(true, "create", "images/" + name, "--size", mib + "M");
        rbd(true, "snap", "create", "images/" + name + "@snap");
        rbd(true, "snap", "protect", "images/" + name + "@snap");
        return name;
    }

    @Test
    void anRbdLocationOfARealSnapMakesTheImageActiveWithItsSize() throws Exception {
        assertEquals(new GlanceVersion(2, 15), images().apiVersion(), "Zed: the legacy location patch is the way");
        String fsid = ceph("ceph", true, "fsid").output();
        String rbdImage = rbdImageWithSnap(16);
        String url = "rbd://" + fsid + "/images/" + rbdImage + "/snap";
        GlanceImage image = create("location", Map.of("image_type", "snapshot"));
        images().update(image.id(), Map.of("disk_format", "raw", "container_format", "bare"));

        GlanceImage located = images().addLocation(image.id(), url);

        assertEquals(GlanceImage.ACTIVE, located.status(), "queued -> active directly");
        assertEquals(16L << 20, located.size(), "the size comes from the RBD image");
        assertEquals(List.of(url), located.locations());
        assertNull(located.checksum(), "no validation data, so Glance computes no checksum");
        assertEquals(located.locations(), images().get(image.id()).locations());

        assertTrue(images().delete(image.id()));
        created.remove(image.id());
        assertNotEquals(0, rbd(false, "info", "images/" + rbdImage).exit(), "Glance removed the RBD image with its image");
    }

    @Test
    void aRefusedLocationSurfacesGlancesStatusAndMessageAndLeavesTheImageQueued() throws Exception {
        String fsid = ceph("ceph", true, "fsid").output();
        String noSnap = PREFIX + UUID.randomUUID();
        rbdImages.add(noSnap);
        rbd(true, "create", "images/" + noSnap, "--size", "8M");
        GlanceImage image = create("refused", Map.of("image_type", "snapshot"));

        GlanceException missingSnap = assertThrows(GlanceException.class,
                () -> images().addLocation(image.id(), "rbd://" + fsid + "/images/" + noSnap + "/snap"));
        assertFalse(missingSnap instanceof ImageNotFound);
        assertEquals(400, missingSnap.status());
        assertTrue(missingSnap.isRefusal());
        assertEquals("Invalid location", missingSnap.glanceMessage().orElseThrow());
        assertEquals("PATCH", missingSnap.method().orElseThrow());
        assertEquals("/v2/images/" + image.id(), missingSnap.path().orElseThrow());
        assertEquals("PATCH /v2/images/" + image.id() + " answered HTTP 400: Invalid location", missingSnap.getMessage());

        GlanceException malformed = assertThrows(GlanceException.class,
                () -> images().addLocation(image.id(), "rbd://" + fsid + "/images/" + noSnap));
        assertEquals(400, malformed.status());
        assertEquals("The Store URI was malformed.", malformed.glanceMessage().orElseThrow());

        assertEquals(GlanceImage.QUEUED, images().get(image.id()).status());
        rbd(true, "rm", "images/" + noSnap);
        rbdImages.remove(noSnap);
    }

    @Test
    void tokensAreNeverInMessages() throws Exception {
        GlanceImages client = images();
        String token = session.token().getId();
        ImageNotFound e = assertThrows(ImageNotFound.class, () -> client.get(UUID.randomUUID()));
        assertFalse(e.getMessage().contains(token));
        assertFalse(e.glanceMessage().orElse("").contains(token));
    }
}
