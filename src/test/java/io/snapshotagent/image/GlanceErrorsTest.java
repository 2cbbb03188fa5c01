package io.snapshotagent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Bodies as the local Zed glance-api sent them. */
class GlanceErrorsTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void jsonErrorsGiveTheSpecificSentence() {
        assertEquals("Property nosuch does not exist.", GlanceErrors.message("{\"message\": \"There was a conflict when"
                + " trying to complete your request.<br /><br />\\nProperty nosuch does not exist.\\n\\n\", \"code\": \"409"
                + " Conflict\", \"title\": \"Conflict\"}", json));
        assertEquals("Invalid location", GlanceErrors.message("{\"message\": \"Invalid location<br /><br />\\n\\n\\n\","
                + " \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}", json));
        assertEquals("No image found with ID 00000000-0000-0000-0000-000000000000", GlanceErrors.message(
                "{\"message\": \"No image found with ID 00000000-0000-0000-0000-000000000000<br /><br />\\n\\n\\n\","
                        + " \"code\": \"404 Not Found\", \"title\": \"Not Found\"}", json));
    }

    @Test
    void htmlErrorsLoseTheirMarkup() {
        String html = """
                <html>
                 <head>
                  <title>409 Conflict</title>
                 </head>
                 <body>
                  <h1>409 Conflict</h1>
                  There was a conflict when trying to complete your request.<br /><br />
                Property nosuch does not exist.


                 </body>
                </html>""";
        assertEquals("Property nosuch does not exist.", GlanceErrors.message(html, json));
    }

    @Test
    void nestedJsonPlainTextAndEmptyBodies() {
        assertEquals("Image is not queued", GlanceErrors.message("{\"conflict\": {\"message\": \"Image is not queued\"}}", json));
        assertEquals("Service Unavailable", GlanceErrors.message("Service Unavailable", json));
        assertNull(GlanceErrors.message("", json));
        assertNull(GlanceErrors.message(null, json));
        assertEquals(503, GlanceErrors.message("x".repeat(2000), json).length());
    }
}
