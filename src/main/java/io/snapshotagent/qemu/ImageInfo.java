package io.snapshotagent.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One image as {@code qemu-img info --output=json} describes it.
 *
 * @param filename       as qemu-img names it (a {@code json:} string for rbd)
 * @param format         the format qemu-img read it as
 * @param virtualSize    the guest-visible size in bytes
 * @param actualSize     bytes allocated on the host; qemu's rbd driver does not report it
 * @param backingFile    the resolved backing file ({@code full-backing-filename}), if any
 * @param backingFormat  the backing file's recorded format, if any
 * @param clusterSize    qcow2's cluster size, if the format has one
 */
public record ImageInfo(String filename, String format, long virtualSize, OptionalLong actualSize,
                        Optional<String> backingFile, Optional<String> backingFormat, OptionalLong clusterSize) {

    /** Parses the single object {@code qemu-img info --output=json} prints. */
    static ImageInfo parse(ObjectMapper json, String output) throws IOException {
        return of(json.readTree(output));
    }

    /** Parses the array {@code qemu-img info --backing-chain --output=json} prints, top image first. */
    static List<ImageInfo> parseChain(ObjectMapper json, String output) throws IOException {
        JsonNode root = json.readTree(output);
        if (root == null || !root.isArray()) {
            throw new IOException("qemu-img info --backing-chain did not print a JSON array");
        }
        List<ImageInfo> chain = new ArrayList<>();
        for (JsonNode image : root) {
            chain.add(of(image));
        }
        if (chain.isEmpty()) {
            throw new IOException("qemu-img info --backing-chain printed an empty array");
        }
        return chain;
    }

    private static ImageInfo of(JsonNode n) throws IOException {
        if (n == null || !n.isObject() || !n.path("virtual-size").canConvertToLong() || !n.path("format").isTextual()) {
            throw new IOException("qemu-img info printed no virtual-size and format: " + n);
        }
        Optional<String> backing = text(n, "full-backing-filename").or(() -> text(n, "backing-filename"));
        return new ImageInfo(n.path("filename").asText(""), n.get("format").asText(), n.get("virtual-size").asLong(),
                number(n, "actual-size"), backing, text(n, "backing-filename-format"), number(n, "cluster-size"));
    }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
    }

    private static OptionalLong number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.canConvertToLong() && v.asLong() >= 0 ? OptionalLong.of(v.asLong()) : OptionalLong.empty();
    }

    /**
     * The most an extract of this chain (top image first) can write: what each layer holds on the
     * host, but never more than the guest-visible size. A layer that does not report its allocation
     * (rbd) counts with its full virtual size, so the estimate errs on the safe side.
     */
    public static long extractBytes(List<ImageInfo> chain) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an empty backing chain");
        }
        long virtual = chain.get(0).virtualSize();
        long allocated = 0;
        for (ImageInfo image : chain) {
            allocated += image.actualSize().orElse(image.virtualSize());
            if (allocated >= virtual) {
                return virtual;
            }
        }
        return allocated;
    }
}
