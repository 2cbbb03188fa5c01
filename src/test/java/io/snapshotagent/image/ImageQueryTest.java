package io.snapshotagent.image;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImageQueryTest {

    @Test
    void novasRotateBackupsQuery() {
        // nova's _rotate_backups filters, with its v1-style property- prefix
        assertEquals("/v2/images?backup_type=daily&image_type=backup&instance_uuid=a3a2f1c4&sort_key=created_at"
                        + "&sort_dir=desc&limit=100",
                ImageQuery.firstPage(Map.of("property-image_type", "backup", "property-backup_type", "daily",
                        "property-instance_uuid", "a3a2f1c4"), "created_at", "desc", 100));
    }

    @Test
    void valuesAreEncodedAndDefaultsLeftToGlance() {
        assertEquals("/v2/images?name=web%201%20%26%20co&limit=25", ImageQuery.firstPage(Map.of("name", "web 1 & co"), null,
                null, 25));
    }

    @Test
    void badSortAndReservedNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.firstPage(Map.of(), "created_at", "down", 10));
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.firstPage(Map.of(), "created_at;drop", null, 10));
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.firstPage(Map.of("marker", "x"), null, null, 10));
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.firstPage(Map.of("property-", "x"), null, null, 10));
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.firstPage(Map.of(), null, null, 0));
    }

    @Test
    void nextLinksAsGlanceWritesThem() {
        assertEquals("/v2/images?limit=1&marker=8fe13049-13e4-4574-8b5d-d14e6ae6d837",
                ImageQuery.nextPage("/v2/images?limit=1&marker=8fe13049-13e4-4574-8b5d-d14e6ae6d837"));
        assertEquals("/v2/images?marker=m", ImageQuery.nextPage("http://glance:9292/v2/images?marker=m"));
        assertNull(ImageQuery.nextPage(null));
        assertNull(ImageQuery.nextPage(""));
        assertThrows(IllegalArgumentException.class, () -> ImageQuery.nextPage("/elsewhere"));
    }

    @Test
    void pathsGoOnTheEndpointsRoot() {
        assertEquals(URI.create("http://127.0.0.1:9292/v2/images"),
                GlanceHttp.resolve(URI.create("http://127.0.0.1:9292"), "/v2/images"));
        assertEquals(URI.create("http://127.0.0.1:9292/versions"),
                GlanceHttp.resolve(URI.create("http://127.0.0.1:9292/"), "/versions"));
        assertEquals(URI.create("https://cloud/image/v2/images"),
                GlanceHttp.resolve(URI.create("https://cloud/image/v2/"), "/v2/images"));
    }
}
