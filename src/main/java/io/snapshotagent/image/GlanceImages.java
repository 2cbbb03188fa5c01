package io.snapshotagent.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotagent.config.AgentConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The agent's Glance v2 client: what nova's {@code nova.image.glance} does for a snapshot, with
 * the agent's own service token (see docs/glance.md for the choices and their measurements).
 * Every method blocks on HTTP: call it from worker threads only, never from an event loop.
 */
@ApplicationScoped
public class GlanceImages {

    private static final Logger LOG = Logger.getLogger(GlanceImages.class);
    /** How long a read of {@code GET /versions} is trusted; Glance upgrades are rare but happen live. */
    private static final Duration VERSION_TTL = Duration.ofMinutes(10);

    private final GlanceHttp http;
    private final GlanceSettings settings;
    private final ObjectMapper json = new ObjectMapper();
    private volatile KnownVersion version;

    private record KnownVersion(GlanceVersion version, Instant readAt) {
    }

    @Inject
    public GlanceImages(KeystoneSession session, AgentConfig config) {
        this(new KeystoneGlanceAuth(session), GlanceSettings.from(config));
    }

    /** With explicit settings, e.g. a short stall timeout in tests. */
    public GlanceImages(KeystoneSession session, GlanceSettings settings) {
        this(new KeystoneGlanceAuth(session), settings);
    }

    GlanceImages(GlanceAuth auth, GlanceSettings settings) {
        this.settings = settings;
        this.http = new GlanceHttp(auth, settings, json);
    }

    /**
     * {@code POST /v2/images}, as nova-api's {@code create_image} does: a {@code queued} image.
     *
     * @param properties Glance attributes ({@code disk_format}, {@code visibility}, {@code min_disk}
     *                   ...) keep their type; extra properties ({@code image_type},
     *                   {@code instance_uuid} ...) must be strings (numbers and booleans are sent
     *                   as their text)
     */
    public GlanceImage create(String name, Map<String, ?> properties) throws GlanceException {
        Objects.requireNonNull(name, "name");
        ObjectNode body = ImagePatch.createBody(name, properties, json);
        GlanceHttp.Answer answer = http.send(new GlanceHttp.Call("POST", "/v2/images", "application/json",
                bytes(body), false, null));
        GlanceImage image = image(answer.body(), "POST /v2/images");
        LOG.debugf("created Glance image %s '%s'", image.id(), name);
        return image;
    }

    /** {@code GET /v2/images/{id}}; {@link ImageNotFound} when Glance has no such image (or it is deleted). */
    public GlanceImage get(UUID id) throws GlanceException {
        String path = imagePath(id);
        return image(http.send(GlanceHttp.Call.get(path, id)).body(), "GET " + path);
    }

    /**
     * Sets attributes and properties with one JSON patch computed from the image as it is now
     * ({@code replace} what it has, {@code add} what it lacks). Nothing is ever removed (nova's
     * {@code purge_props=False}); a null value is refused. Returns the image after the change.
     */
    public GlanceImage update(UUID id, Map<String, ?> changes) throws GlanceException {
        String path = imagePath(id);
        String current = http.send(GlanceHttp.Call.get(path, id)).body();
        ArrayNode ops = ImagePatch.of(tree(current, "GET " + path), changes, json);
        if (ops.isEmpty()) {
            return image(current, "GET " + path);
        }
        // the patch is computed from one read: repeating it after a lost answer sets the same values
        GlanceHttp.Answer answer = http.send(new GlanceHttp.Call("PATCH", path, ImagePatch.CONTENT_TYPE, bytes(ops),
                true, id));
        return image(answer.body(), "PATCH " + path);
    }

    /**
     * Adds a location (the direct RBD snapshot's {@code rbd://fsid/pool/image/snap}) to a queued
     * image, which then becomes {@code active} with the size the store reports. With Glance API
     * v2.17 or later this is {@code POST /v2/images/{id}/locations} (Glance activates the image in
     * a background task, so the returned image may still be {@code queued}); before, it is the
     * JSON patch {@code add /locations/-}, which needs {@code show_multiple_locations = True} and
     * activates at once.
     *
     * @throws GlanceException with Glance's status and message when Glance refuses the location
     *         (400 "Invalid location" for a missing RBD snapshot, 403 when locations are hidden,
     *         409 when the image is no longer queued): the snapshot must fail, not fall back
     */
    public GlanceImage addLocation(UUID id, String url) throws GlanceException {
        Objects.requireNonNull(url, "url");
        String path = imagePath(id);
        if (apiVersion().hasLocationApi()) {
            ObjectNode body = json.createObjectNode().put("url", url);
            body.set("validation_data", json.createObjectNode());
            http.send(new GlanceHttp.Call("POST", path + "/locations", "application/json", bytes(body), false, id));
            return get(id);
        }
        GlanceHttp.Answer answer = http.send(new GlanceHttp.Call("PATCH", path, ImagePatch.CONTENT_TYPE,
                bytes(ImagePatch.addLocation(url)), false, id));
        return image(answer.body(), "PATCH " + path);
    }

    /** {@link #upload(UUID, Path, UploadProgress)} without progress reports. */
    public GlanceImage upload(UUID id, Path file) throws GlanceException {
        return upload(id, file, UploadProgress.NONE);
    }

    /**
     * {@code PUT /v2/images/{id}/file}: streams the file (never buffered in memory) with its
     * length, so Glance and its store know the size up front. Glance computes {@code checksum}
     * and {@code os_hash_value} while it stores the data. The token is chosen to outlast the
     * upload at 10 MiB/s; a 401 gets one new token and a second attempt from the file's start.
     * No total timeout: it fails when no byte moves for {@code uploadStallTimeout}.
     *
     * @return the image as Glance has it afterwards (normally {@code active})
     */
    public GlanceImage upload(UUID id, Path file, UploadProgress progress) throws GlanceException {
        Objects.requireNonNull(progress, "progress");
        String path = imagePath(id) + "/file";
        long length;
        try {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new GlanceException("cannot upload " + file + ": not a readable regular file");
            }
            length = Files.size(file);
        } catch (IOException e) {
            throw new GlanceException("cannot upload " + file + ": " + e.getMessage(), e);
        }
        long start = System.nanoTime();
        http.upload(path, file, length, progress, id);
        long millis = Math.max(1, (System.nanoTime() - start) / 1_000_000);
        LOG.infof("uploaded %d bytes of %s to Glance image %s in %d ms (%.1f MiB/s)", length, file, id, millis,
                length / 1048576.0 / (millis / 1000.0));
        return get(id);
    }

    /** {@code DELETE /v2/images/{id}}: true when deleted now, false when it was already gone. */
    public boolean delete(UUID id) throws GlanceException {
        try {
            http.send(new GlanceHttp.Call("DELETE", imagePath(id), null, null, true, id));
            return true;
        } catch (ImageNotFound e) {
            return false;
        }
    }

    /**
     * All images that match, across every page ({@code next} links followed). nova's
     * {@code _rotate_backups} asks for
     * {@code {property-image_type: backup, property-backup_type: daily, property-instance_uuid: u}}
     * sorted by {@code created_at desc}.
     *
     * @param filters Glance filters ({@code status}, {@code name} ...) and extra properties, with or
     *                without nova's {@code property-} prefix
     * @param sortKey null for Glance's default ({@code created_at})
     * @param sortDir {@code asc}, {@code desc}, or null for Glance's default ({@code desc})
     */
    public List<GlanceImage> list(Map<String, String> filters, String sortKey, String sortDir) throws GlanceException {
        List<GlanceImage> images = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String page = ImageQuery.firstPage(filters, sortKey, sortDir, settings.pageSize());
        while (page != null) {
            if (!seen.add(page)) {
                throw new GlanceException("GET " + page + ": Glance's next link points back to a page already read");
            }
            JsonNode body = tree(http.send(GlanceHttp.Call.get(page, null)).body(), "GET " + page);
            for (JsonNode image : body.path("images")) {
                images.add(GlanceImage.from(image, image.toString()));
            }
            page = ImageQuery.nextPage(body.path("next").asText(null));
        }
        return images;
    }

    /** The newest API version Glance serves ({@code GET /versions}), read at most every 10 minutes. */
    public GlanceVersion apiVersion() throws GlanceException {
        KnownVersion known = version;
        if (known != null && known.readAt().plus(VERSION_TTL).isAfter(Instant.now())) {
            return known.version();
        }
        JsonNode document = tree(http.sendAnonymous("/versions").body(), "GET /versions");
        GlanceVersion newest;
        try {
            newest = GlanceVersion.newest(document);
        } catch (IllegalArgumentException e) {
            throw new GlanceException("GET /versions: " + e.getMessage(), e);
        }
        if (known == null || !known.version().equals(newest)) {
            LOG.infof("Glance serves API %s; locations are added with %s", newest,
                    newest.hasLocationApi() ? "POST /v2/images/{id}/locations" : "a JSON patch (add /locations/-)");
        }
        version = new KnownVersion(newest, Instant.now());
        return newest;
    }

    private static String imagePath(UUID id) {
        return "/v2/images/" + Objects.requireNonNull(id, "image id");
    }

    private byte[] bytes(JsonNode node) {
        try {
            return json.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Jackson tree always serialises", e);
        }
    }

    private JsonNode tree(String body, String request) throws GlanceException {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new GlanceException(request + ": Glance's answer is not JSON: " + e.getMessage(), e);
        }
    }

    private GlanceImage image(String body, String request) throws GlanceException {
        try {
            return GlanceImage.from(tree(body, request), body);
        } catch (IllegalArgumentException e) {
            throw new GlanceException(request + ": Glance's answer is not an image: " + e.getMessage(), e);
        }
    }
}
