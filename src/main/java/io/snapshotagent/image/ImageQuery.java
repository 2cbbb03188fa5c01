package io.snapshotagent.image;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The query of {@code GET /v2/images}. Filters on extra properties are plain query parameters in
 * v2; nova names them {@code property-<name>} (its v1 heritage, {@code _rotate_backups} uses
 * {@code property-image_type}), and glanceclient strips the prefix, so both spellings are taken.
 */
final class ImageQuery {

    private static final String PROPERTY_PREFIX = "property-";
    private static final Pattern SORT_KEY = Pattern.compile("[a-z_]+");
    private static final Map<String, String> RESERVED = Map.of("limit", "page size", "marker", "paging",
            "sort_key", "sortKey", "sort_dir", "sortDir", "sort", "sortKey");

    private ImageQuery() {
    }

    /**
     * {@code /v2/images?...} for the first page.
     *
     * @param sortKey null for Glance's default ({@code created_at})
     * @param sortDir {@code asc}, {@code desc}, or null for Glance's default ({@code desc})
     */
    static String firstPage(Map<String, String> filters, String sortKey, String sortDir, int limit) {
        StringJoiner query = new StringJoiner("&", "/v2/images?", "");
        // sorted, so a query reads the same in every log line
        for (Map.Entry<String, String> filter : new TreeMap<>(filters).entrySet()) {
            String key = filter.getKey();
            if (key.startsWith(PROPERTY_PREFIX)) {
                key = key.substring(PROPERTY_PREFIX.length());
            }
            if (key.isEmpty()) {
                throw new IllegalArgumentException("a filter needs a name");
            }
            if (RESERVED.containsKey(key)) {
                throw new IllegalArgumentException("'" + key + "' is not a filter: use the " + RESERVED.get(key) + " parameter");
            }
            if (filter.getValue() == null) {
                throw new IllegalArgumentException("filter '" + key + "' has no value");
            }
            query.add(encode(key) + "=" + encode(filter.getValue()));
        }
        if (sortKey != null) {
            if (!SORT_KEY.matcher(sortKey).matches()) {
                throw new IllegalArgumentException("not a sort key: '" + sortKey + "'");
            }
            query.add("sort_key=" + sortKey);
        }
        if (sortDir != null) {
            if (!sortDir.equals("asc") && !sortDir.equals("desc")) {
                throw new IllegalArgumentException("sort direction must be 'asc' or 'desc', not '" + sortDir + "'");
            }
            query.add("sort_dir=" + sortDir);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("page size must be positive");
        }
        query.add("limit=" + limit);
        return query.toString();
    }

    /**
     * The path of the page Glance's {@code next} link names. Glance writes it as
     * {@code /v2/images?marker=...} (absolute path, endpoint path prefix not included).
     */
    static String nextPage(String next) {
        if (next == null || next.isBlank()) {
            return null;
        }
        if (next.startsWith("http://") || next.startsWith("https://")) {
            int path = next.indexOf("/v2/");
            if (path < 0) {
                throw new IllegalArgumentException("unexpected next link: " + next);
            }
            return next.substring(path);
        }
        if (!next.startsWith("/v2/images")) {
            throw new IllegalArgumentException("unexpected next link: " + next);
        }
        return next;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
