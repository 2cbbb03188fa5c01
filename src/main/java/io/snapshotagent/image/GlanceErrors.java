package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.regex.Pattern;

/**
 * Glance's explanation out of an error body. Glance answers errors through webob: JSON when asked
 * for it ({@code {"message": "Invalid location<br /><br />\n\n\n", "code": "400 Bad Request", ...}}),
 * else an HTML page. The generic sentence ("There was a conflict when trying to complete your
 * request.") and the specific one ("Property x does not exist.") are separated by a double
 * {@code <br />}; the last non-empty part is the specific one.
 */
final class GlanceErrors {

    private static final int MAX_LENGTH = 500;
    private static final Pattern DOUBLE_BREAK = Pattern.compile("(?i)<br\\s*/?>\\s*<br\\s*/?>");
    private static final Pattern HEAD = Pattern.compile("(?is)<head>.*?</head>|<h1>.*?</h1>|<title>.*?</title>");
    private static final Pattern TAG = Pattern.compile("<[^>]+>");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private GlanceErrors() {
    }

    /** The message, or null when the body has none. */
    static String message(String body, ObjectMapper json) {
        if (body == null || body.isBlank()) {
            return null;
        }
        String text = body.trim();
        if (text.startsWith("{")) {
            String fromJson = fromJson(text, json);
            if (fromJson != null) {
                text = fromJson;
            }
        } else {
            text = HEAD.matcher(text).replaceAll(" ");
        }
        String last = null;
        for (String part : DOUBLE_BREAK.split(text)) {
            String clean = SPACE.matcher(TAG.matcher(part).replaceAll(" ")).replaceAll(" ").trim();
            if (!clean.isEmpty()) {
                last = clean;
            }
        }
        if (last == null) {
            return null;
        }
        return last.length() <= MAX_LENGTH ? last : last.substring(0, MAX_LENGTH) + "...";
    }

    /** {@code {"message": ...}}, or nova-style {@code {"badRequest": {"message": ...}}}. */
    private static String fromJson(String text, ObjectMapper json) {
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (IOException e) {
            return null;
        }
        if (node.path("message").isTextual()) {
            return node.get("message").asText();
        }
        Iterator<JsonNode> fields = node.elements();
        while (fields.hasNext()) {
            JsonNode inner = fields.next();
            if (inner.path("message").isTextual()) {
                return inner.get("message").asText();
            }
        }
        return null;
    }
}
