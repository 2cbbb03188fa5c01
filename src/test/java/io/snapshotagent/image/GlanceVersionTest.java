package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlanceVersionTest {

    private static JsonNode resource(String name) throws IOException {
        try (InputStream in = GlanceVersionTest.class.getResourceAsStream("/glance/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void zedGlanceServesV215AndHasNoLocationApi() throws IOException {
        // captured from the local stack's glance-api 25.1.0 (Zed): GET /versions
        GlanceVersion newest = GlanceVersion.newest(resource("versions-zed.json"));
        assertEquals(new GlanceVersion(2, 15), newest);
        assertFalse(newest.hasLocationApi());
    }

    @Test
    void theNewLocationApiStartsAt217() {
        assertFalse(GlanceVersion.parse("v2.16").hasLocationApi());
        assertTrue(GlanceVersion.parse("v2.17").hasLocationApi());
        assertTrue(GlanceVersion.parse("v2.18").hasLocationApi());
        assertTrue(GlanceVersion.parse("v3.0").hasLocationApi());
    }

    @Test
    void minorVersionsCompareAsNumbersNotText() {
        // "v2.9" < "v2.15" although "9" > "1" as text
        assertTrue(GlanceVersion.parse("v2.9").compareTo(GlanceVersion.parse("v2.15")) < 0);
        assertEquals(new GlanceVersion(2, 0), GlanceVersion.parse("v2"));
        assertEquals("v2.17", GlanceVersion.LOCATION_API.toString());
    }

    @Test
    void theNewestIsTheMaximumWhateverTheOrderAndStatus() throws IOException {
        JsonNode doc = new ObjectMapper().readTree("""
                {"versions": [{"id": "v2.9", "status": "SUPPORTED"}, {"id": "v2.17", "status": "CURRENT"},
                              {"id": "v2.16", "status": "SUPPORTED"}, {"id": "unknown", "status": "EXPERIMENTAL"}]}""");
        assertEquals(GlanceVersion.LOCATION_API, GlanceVersion.newest(doc));
    }

    @Test
    void garbageIsRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> GlanceVersion.parse("2.x"));
        assertThrows(IllegalArgumentException.class, () -> GlanceVersion.parse(null));
        assertThrows(IllegalArgumentException.class, () -> GlanceVersion.newest(new ObjectMapper().readTree("{}")));
    }
}
