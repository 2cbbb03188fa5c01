package io.snapshotagent.image;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Glance API version as {@code GET /versions} lists it ({@code "v2.15"}). */
public record GlanceVersion(int major, int minor) implements Comparable<GlanceVersion> {

    /**
     * The first version with {@code POST /v2/images/{id}/locations} (Glance 2024.2 "Dalmatian").
     * glanceclient checks exactly this before it calls the new location API.
     */
    public static final GlanceVersion LOCATION_API = new GlanceVersion(2, 17);

    private static final Pattern ID = Pattern.compile("v?(\\d+)(?:\\.(\\d+))?");

    public static GlanceVersion parse(String id) {
        Matcher m = ID.matcher(id == null ? "" : id.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a Glance API version: '" + id + "'");
        }
        return new GlanceVersion(Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
    }

    /**
     * The newest version in a {@code GET /versions} document. Glance lists every version it
     * serves; the newest is the {@code CURRENT} one, but the maximum does not depend on that.
     */
    public static GlanceVersion newest(JsonNode versionsDocument) {
        GlanceVersion newest = null;
        for (JsonNode version : versionsDocument.path("versions")) {
            String id = version.path("id").asText("");
            if (!ID.matcher(id).matches()) {
                continue;
            }
            GlanceVersion v = parse(id);
            if (newest == null || v.compareTo(newest) > 0) {
                newest = v;
            }
        }
        if (newest == null) {
            throw new IllegalArgumentException("the versions document lists no API version");
        }
        return newest;
    }

    public boolean atLeast(GlanceVersion other) {
        return compareTo(other) >= 0;
    }

    /** Whether {@code POST /v2/images/{id}/locations} exists. */
    public boolean hasLocationApi() {
        return atLeast(LOCATION_API);
    }

    @Override
    public int compareTo(GlanceVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return "v" + major + "." + minor;
    }
}
