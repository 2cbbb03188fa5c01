package io.snapshotagent.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Against output captured from this machine's qemu-img 7.2. */
class ImageInfoTest {

    private final ObjectMapper json = new ObjectMapper();

    private static String fixture(String name) throws IOException {
        try (InputStream in = ImageInfoTest.class.getResourceAsStream("/qemu/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ImageInfo image(long virtual, OptionalLong actual) {
        return new ImageInfo("x", "raw", virtual, actual, Optional.empty(), Optional.empty(), OptionalLong.empty());
    }

    @Test
    void qcow2WithBackingFile() throws IOException {
        ImageInfo info = ImageInfo.parse(json, fixture("info-qcow2.json"));
        assertEquals("qcow2", info.format());
        assertEquals(2097152, info.virtualSize());
        assertEquals(OptionalLong.of(200704), info.actualSize());
        assertEquals(Optional.of("/tmp/qp/base.raw"), info.backingFile());
        assertEquals(Optional.of("raw"), info.backingFormat());
        assertEquals(OptionalLong.of(65536), info.clusterSize());
    }

    @Test
    void relativeBackingNamesStayAsQemuImgPrintsThem() throws IOException {
        ImageInfo info = ImageInfo.parse(json, fixture("info-qcow2-relative-backing.json"));
        assertEquals(Optional.of("base.raw"), info.backingFile());
    }

    @Test
    void rawFile() throws IOException {
        ImageInfo info = ImageInfo.parse(json, fixture("info-raw.json"));
        assertEquals("raw", info.format());
        assertEquals(OptionalLong.of(1048576), info.actualSize());
        assertEquals(Optional.empty(), info.backingFile());
        assertEquals(OptionalLong.empty(), info.clusterSize());
    }

    @Test
    void rbdReportsNoAllocation() throws IOException {
        ImageInfo info = ImageInfo.parse(json, fixture("info-rbd.json"));
        assertEquals(16777216, info.virtualSize());
        assertEquals(OptionalLong.empty(), info.actualSize());
    }

    @Test
    void backingChainTopFirst() throws IOException {
        List<ImageInfo> chain = ImageInfo.parseChain(json, fixture("info-qcow2-chain.json"));
        assertEquals(2, chain.size());
        assertEquals("qcow2", chain.get(0).format());
        assertEquals("/tmp/qp/base.raw", chain.get(1).filename());
        // 200704 in the overlay + 1 MiB of base, under the 2 MiB the guest sees
        assertEquals(200704 + 1048576, ImageInfo.extractBytes(chain));
    }

    @Test
    void extractNeverExceedsTheVirtualSize() {
        assertEquals(1000, ImageInfo.extractBytes(List.of(image(1000, OptionalLong.of(600)), image(1000, OptionalLong.of(900)))));
        assertEquals(1000, ImageInfo.extractBytes(List.of(image(1000, OptionalLong.of(4096)))));
    }

    @Test
    void unknownAllocationCountsInFull() {
        assertEquals(16777216, ImageInfo.extractBytes(List.of(image(16777216, OptionalLong.empty()))));
        assertEquals(700, ImageInfo.extractBytes(List.of(image(1000, OptionalLong.of(200)), image(500, OptionalLong.empty()))));
    }

    @Test
    void garbageIsAnError() {
        assertThrows(IOException.class, () -> ImageInfo.parse(json, "{\"format\": \"raw\"}"));
        assertThrows(IOException.class, () -> ImageInfo.parse(json, "not json"));
        assertThrows(IOException.class, () -> ImageInfo.parseChain(json, "[]"));
        assertThrows(IOException.class, () -> ImageInfo.parseChain(json, fixture("info-raw.json")));
    }
}
