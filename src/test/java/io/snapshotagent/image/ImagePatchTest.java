package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePatchTest {

    private final ObjectMapper json = new ObjectMapper();

    /** A queued snapshot image as nova-api creates it (disk_format still null). */
    private JsonNode queued() throws IOException {
        return json.readTree("""
                {"id": "d2aae36f-785c-4518-8016-bc9534d9fc7f", "name": "web-1-snap", "status": "queued",
                 "disk_format": null, "container_format": null, "min_disk": 0, "image_type": "snapshot",
                 "instance_uuid": "a3a2f1c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "tags": [], "locations": []}""");
    }

    private static Map<String, Object> changes(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void existingAttributesAreReplacedNewPropertiesAdded() throws IOException {
        // what nova's driver sets after a direct snapshot: formats (present, null) and new properties
        String patch = ImagePatch.of(queued(), changes("disk_format", "raw", "container_format", "bare",
                "image_location", "snapshot", "image_state", "available"), json).toString();
        assertEquals("[{\"op\":\"replace\",\"path\":\"/disk_format\",\"value\":\"raw\"},"
                + "{\"op\":\"replace\",\"path\":\"/container_format\",\"value\":\"bare\"},"
                + "{\"op\":\"add\",\"path\":\"/image_location\",\"value\":\"snapshot\"},"
                + "{\"op\":\"add\",\"path\":\"/image_state\",\"value\":\"available\"}]", patch);
    }

    @Test
    void unchangedValuesAreLeftOutAndNothingIsRemoved() throws IOException {
        // image_type already "snapshot"; instance_uuid not mentioned must not turn into a remove
        assertEquals("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"renamed\"}]",
                ImagePatch.of(queued(), changes("image_type", "snapshot", "name", "renamed"), json).toString());
        assertTrue(ImagePatch.of(queued(), changes("image_type", "snapshot"), json).isEmpty());
    }

    @Test
    void glanceAttributesKeepTheirTypeExtraPropertiesBecomeStrings() throws IOException {
        String patch = ImagePatch.of(queued(), changes("min_disk", 20, "protected", true, "tags", List.of("a"),
                "hw_disk_bus_count", 2, "os_require_quiesce", true), json).toString();
        assertEquals("[{\"op\":\"replace\",\"path\":\"/min_disk\",\"value\":20},"
                + "{\"op\":\"add\",\"path\":\"/protected\",\"value\":true},"
                + "{\"op\":\"replace\",\"path\":\"/tags\",\"value\":[\"a\"]},"
                + "{\"op\":\"add\",\"path\":\"/hw_disk_bus_count\",\"value\":\"2\"},"
                + "{\"op\":\"add\",\"path\":\"/os_require_quiesce\",\"value\":\"true\"}]", patch);
    }

    @Test
    void nullsReadOnlyAttributesAndOddValuesAreRefused() throws IOException {
        JsonNode image = queued();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImagePatch.of(image, changes("image_type", null), json));
        assertTrue(e.getMessage().contains("never removed"), e.getMessage());
        for (String readOnly : List.of("status", "size", "checksum", "locations", "id", "os_hash_value")) {
            assertThrows(IllegalArgumentException.class, () -> ImagePatch.of(image, changes(readOnly, "x"), json), readOnly);
        }
        assertThrows(IllegalArgumentException.class, () -> ImagePatch.of(image, changes("owner_ids", List.of("x")), json));
        assertThrows(IllegalArgumentException.class, () -> ImagePatch.of(image, changes("", "x"), json));
    }

    @Test
    void pointerTokensAreEscaped() throws IOException {
        assertEquals("[{\"op\":\"add\",\"path\":\"/a~1b~0c\",\"value\":\"v\"}]",
                ImagePatch.of(queued(), changes("a/b~c", "v"), json).toString());
    }

    @Test
    void legacyLocationAddIsNovasPatch() {
        assertEquals("[{\"op\":\"add\",\"path\":\"/locations/-\",\"value\":{\"url\":\"rbd://f/images/i/snap\",\"metadata\":{}}}]",
                ImagePatch.addLocation("rbd://f/images/i/snap").toString());
    }

    @Test
    void createBodyHasTheNameAndConvertedProperties() {
        assertEquals("{\"name\":\"snap\",\"image_type\":\"snapshot\",\"min_ram\":512,\"visibility\":\"private\"}",
                ImagePatch.createBody("snap", changes("image_type", "snapshot", "min_ram", 512, "visibility", "private"),
                        json).toString());
        assertThrows(IllegalArgumentException.class, () -> ImagePatch.createBody("a", changes("name", "b"), json));
        assertThrows(IllegalArgumentException.class, () -> ImagePatch.createBody("a", changes("status", "active"), json));
    }

    @Test
    void aRealActiveImageReadsWithItsPropertiesAndLocations() throws IOException {
        String body;
        try (InputStream in = getClass().getResourceAsStream("/glance/image-active.json")) {
            body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        GlanceImage image = GlanceImage.from(json.readTree(body), body);
        assertEquals("f65db661-e3b1-467a-8acd-74871c70c272", image.id().toString());
        assertEquals(GlanceImage.ACTIVE, image.status());
        assertEquals(1048576L, image.size());
        assertEquals("b6d81b360a5672d80c27430f39153e2c", image.checksum());
        assertEquals("sha512", image.osHashAlgo());
        assertEquals("raw", image.diskFormat());
        assertEquals(Map.of("image_type", "snapshot", "instance_uuid", "a3a2f1c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b"),
                image.properties());
        assertEquals(List.of("file:///work/main/deploy/local/.state/glance/images/f65db661-e3b1-467a-8acd-74871c70c272"),
                image.locations());
        assertEquals(java.time.Instant.parse("2026-12-01T23:51:15Z"), image.createdAt());
    }
}
